"""Import of the contact list (CSV or vCard 3.0/4.0) into the staff directory.

The whole file is read and checked before anything is written, so a bad file changes nothing.
A person is matched by email, else by name; an import never blanks a field the file leaves
empty and never touches role, password or the active flag.

The stages, one module each: ``reading`` (the file, its format and the checks of
``validation``), ``csv_format`` and ``vcard`` (the two formats), ``matching`` (entries to
people in the directory) and ``apply`` (the writes); ``records`` holds what they share.
"""

from caseflow.staff.importing.apply import import_staff_file
from caseflow.staff.importing.reading import read_staff_file
from caseflow.staff.importing.records import StaffEntry, StaffImportError, name_key
from caseflow.staff.importing.report import ImportReport

__all__ = [
    "ImportReport",
    "StaffEntry",
    "StaffImportError",
    "import_staff_file",
    "name_key",
    "read_staff_file",
]
