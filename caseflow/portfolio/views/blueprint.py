"""The portfolio blueprint (its routes live in the modules beside this one)."""

from flask import Blueprint

bp = Blueprint("portfolio", __name__)
