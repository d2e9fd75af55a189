/* Check-in at the door: scan sign-up QR codes with the phone camera, or type the code.
 *
 * The camera is read with the browser's BarcodeDetector when it has one (Chrome on Android),
 * else with the vendored jsQR (static/vendor/jsqr, loaded only then). Each code read is POSTed
 * to the scan URL, which answers JSON {ok, already, name, party_size, message, counts}.
 * Browsers open cameras only on HTTPS (or localhost): the manual box always works.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-checkin-scan]");
  if (!root) return;

  var scanUrl = root.getAttribute("data-scan-url");
  var jsqrUrl = root.getAttribute("data-jsqr-url");
  var csrfInput = root.querySelector("input[name=csrfmiddlewaretoken]");
  var startButton = root.querySelector("[data-scan-start]");
  var stopButton = root.querySelector("[data-scan-stop]");
  var camera = root.querySelector("[data-scan-camera]");
  var video = root.querySelector("[data-scan-video]");
  var statusLine = root.querySelector("[data-scan-status]");
  var result = root.querySelector("[data-scan-result]");
  var codeForm = root.querySelector("[data-code-form]");

  var SAME_CODE_PAUSE_MS = 4000; // a code held in front of the camera is sent once
  var AFTER_READ_PAUSE_MS = 1200; // time to read the answer before the next scan
  var FRAME_INTERVAL_MS = 150;

  var stream = null;
  var detect = null; // function(video) -> Promise<string|null>
  var timer = null;
  var busy = false;
  var lastCode = "";
  var lastCodeAt = 0;

  // Messages come translated from the template (data-msg-* on the section).
  function text(key) {
    return root.getAttribute("data-msg-" + key) || key;
  }

  function say(message) {
    statusLine.textContent = message;
  }

  function show(kind, message) {
    result.hidden = false;
    result.className = "checkin-result checkin-result--" + kind;
    result.textContent = message;
  }

  function updateCounts(counts) {
    if (!counts) return;
    Object.keys(counts).forEach(function (key) {
      var el = document.querySelector('[data-checkin-counts] [data-count="' + key + '"]');
      if (el) el.textContent = counts[key];
    });
  }

  function buzz(pattern) {
    if (navigator.vibrate) {
      try {
        navigator.vibrate(pattern);
      } catch (e) {
        /* not allowed: fine */
      }
    }
  }

  function send(code) {
    busy = true;
    var body = new FormData();
    body.append("code", code);
    return fetch(scanUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: {
        "X-CSRFToken": csrfInput ? csrfInput.value : "",
        "X-Requested-With": "XMLHttpRequest",
        Accept: "application/json",
      },
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("application/json") === -1) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        if (data.ok) {
          show(data.already ? "already" : "ok", data.message);
          buzz(data.already ? [80, 60, 80] : 120);
        } else {
          show("error", data.message);
          buzz([250, 100, 250]);
        }
        updateCounts(data.counts);
        return data;
      })
      .catch(function () {
        show("error", text("network"));
        buzz([250, 100, 250]);
      })
      .then(function (data) {
        busy = false;
        return data;
      });
  }

  // -- manual entry ---------------------------------------------------------------------------

  if (codeForm) {
    codeForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var input = codeForm.querySelector("input[name=q]");
      var code = input.value.trim();
      if (!code) {
        show("error", text("empty"));
        input.focus();
        return;
      }
      if (busy) return;
      send(code).then(function (data) {
        if (data && data.ok) input.value = "";
        input.focus();
      });
    });
  }

  // -- camera ---------------------------------------------------------------------------------

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = function () {
        reject(new Error("could not load " + src));
      };
      document.head.appendChild(script);
    });
  }

  function nativeDetector() {
    if (!("BarcodeDetector" in window)) return Promise.resolve(null);
    var formats = window.BarcodeDetector.getSupportedFormats
      ? window.BarcodeDetector.getSupportedFormats()
      : Promise.resolve(["qr_code"]);
    return formats
      .then(function (list) {
        if (list.indexOf("qr_code") === -1) return null;
        var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        return function (source) {
          return detector.detect(source).then(function (codes) {
            return codes.length ? codes[0].rawValue : null;
          });
        };
      })
      .catch(function () {
        return null;
      });
  }

  function jsqrDetector() {
    var ready = window.jsQR ? Promise.resolve() : loadScript(jsqrUrl);
    return ready.then(function () {
      var canvas = document.createElement("canvas");
      var context = canvas.getContext("2d", { willReadFrequently: true });
      return function (source) {
        var width = source.videoWidth;
        var height = source.videoHeight;
        if (!width || !height) return Promise.resolve(null);
        // Scale large frames down: a door-side QR fills much of the picture anyway.
        var scale = Math.min(1, 640 / Math.max(width, height));
        canvas.width = Math.round(width * scale);
        canvas.height = Math.round(height * scale);
        context.drawImage(source, 0, 0, canvas.width, canvas.height);
        var image = context.getImageData(0, 0, canvas.width, canvas.height);
        var found = window.jsQR(image.data, image.width, image.height, {
          inversionAttempts: "dontInvert",
        });
        return Promise.resolve(found ? found.data : null);
      };
    });
  }

  function getDetector() {
    if (detect) return Promise.resolve(detect);
    return nativeDetector()
      .then(function (native) {
        return native || jsqrDetector();
      })
      .then(function (fn) {
        detect = fn;
        return fn;
      });
  }

  function tick() {
    timer = null;
    if (!stream) return;
    if (busy || video.readyState < 2) {
      schedule(FRAME_INTERVAL_MS);
      return;
    }
    detect(video)
      .then(function (text) {
        if (!stream) return;
        var now = Date.now();
        if (!text || (text === lastCode && now - lastCodeAt < SAME_CODE_PAUSE_MS)) {
          schedule(FRAME_INTERVAL_MS);
          return;
        }
        lastCode = text;
        lastCodeAt = now;
        send(text).then(function () {
          schedule(AFTER_READ_PAUSE_MS);
        });
      })
      .catch(function () {
        schedule(FRAME_INTERVAL_MS);
      });
  }

  function schedule(ms) {
    if (stream && timer === null) timer = window.setTimeout(tick, ms);
  }

  function cameraProblem(error) {
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") {
      return text("denied");
    }
    if (name === "NotFoundError" || name === "OverconstrainedError") {
      return text("notfound");
    }
    if (name === "NotReadableError") {
      return text("busy");
    }
    return text("failed");
  }

  function start() {
    if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      show(
        "error",
        text("https")
      );
      return;
    }
    startButton.disabled = true;
    say(text("opening"));
    getDetector()
      .then(function () {
        return navigator.mediaDevices.getUserMedia({
          video: { facingMode: { ideal: "environment" } },
          audio: false,
        });
      })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        camera.hidden = false;
        startButton.hidden = true;
        stopButton.hidden = false;
        return video.play();
      })
      .then(function () {
        say(text("aim"));
        schedule(0);
      })
      .catch(function (error) {
        stop();
        if (error && error.message && error.message.indexOf("could not load") === 0) {
          show("error", text("script"));
        } else {
          show("error", cameraProblem(error));
        }
      })
      .then(function () {
        startButton.disabled = false;
      });
  }

  function stop() {
    if (timer !== null) {
      window.clearTimeout(timer);
      timer = null;
    }
    if (stream) {
      stream.getTracks().forEach(function (track) {
        track.stop();
      });
      stream = null;
    }
    video.srcObject = null;
    camera.hidden = true;
    stopButton.hidden = true;
    startButton.hidden = false;
    say(text("closed"));
  }

  startButton.addEventListener("click", start);
  stopButton.addEventListener("click", stop);
  // A phone put in a pocket should not keep the camera (and battery) running.
  document.addEventListener("visibilitychange", function () {
    if (document.hidden && stream) stop();
  });
})();
