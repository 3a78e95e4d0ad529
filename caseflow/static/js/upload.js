/* Upload progress for the documents form (progressive enhancement).
 *
 * Markup: <form data-upload-progress="ID"> and <progress id="ID" hidden>. With JavaScript
 * the form is sent in the background so that the bar can show how much has gone; the server
 * answers such a request (header X-Upload-Progress) with JSON {"location": …} once the files
 * are saved, and the page goes there (where the confirmation waits). An answer from another
 * address (a redirect to the login page) is opened there; any other answer (the form with
 * its messages) replaces the page. Without JavaScript the form is sent as usual. */
(function () {
  "use strict";

  function enhance(form) {
    var bar = document.getElementById(form.getAttribute("data-upload-progress"));
    var status = document.getElementById(form.getAttribute("data-upload-status"));
    if (!bar || !window.FormData || !window.XMLHttpRequest) {
      return;
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("X-Upload-Progress", "1");
      bar.hidden = false;
      bar.value = 0;
      var announced = -1;
      request.upload.addEventListener("progress", function (progress) {
        if (progress.lengthComputable) {
          bar.max = progress.total;
          bar.value = progress.loaded;
          // The status is read out: in steps of ten per cent, not at every event.
          var step = Math.floor((10 * progress.loaded) / progress.total) * 10;
          if (status && step !== announced) {
            announced = step;
            status.textContent = step + " %";
          }
        }
      });
      request.addEventListener("load", function () {
        var type = request.getResponseHeader("Content-Type") || "";
        if (request.status === 200 && type.indexOf("application/json") === 0) {
          window.location.assign(JSON.parse(request.responseText).location);
          return;
        }
        if (request.responseURL && request.responseURL !== form.action) {
          // Sent elsewhere (the session had ended: the login page): go there for real, so
          // that the address bar and the page agree.
          window.location.assign(request.responseURL);
          return;
        }
        document.open();
        document.write(request.responseText);
        document.close();
      });
      request.addEventListener("error", function () {
        // The connection broke: send the form the ordinary way instead.
        form.submit();
      });
      request.send(new FormData(form));
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-upload-progress]"), enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
