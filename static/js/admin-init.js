/* Wagtail admin widgets started without inline scripts (Content-Security-Policy).
 *
 * Wagtail 8 starts its date pickers, choosers and inline panels with an inline
 * <script>initDateChooser("id_x", {...})</script> after each widget, which a policy without
 * 'unsafe-inline' blocks. Our overrides (templates/wagtailadmin/…, portal/csp.py) render in its
 * place an inert element that says the same thing as data:
 *
 *   <script type="application/json" data-controller="qx-init" data-qx-init-call="initDateChooser"
 *           data-qx-init-id="id_x" data-qx-init-options="{...}"></script>
 *
 * and this Stimulus controller (on Wagtail's own Stimulus application) makes the call. Stimulus
 * also connects elements added later (a new inline-panel form, a dialog's content), as the inline
 * scripts ran when jQuery inserted them. Only the functions below can be called.
 */
(function () {
  "use strict";

  // name -> true when it is a constructor (called with `new`)
  var CALLABLE = {
    initDateChooser: false,
    initTimeChooser: false,
    initDateTimeChooser: false,
    createTaskChooser: false,
    InlinePanel: true,
    MultipleChooserPanel: true,
    Chooser: true,
    PageChooser: true,
    ImageChooser: true,
    DocumentChooser: true,
    SnippetChooser: true,
  };

  function start(element) {
    // Once per element: Stimulus reconnects an element that is moved (reordering a panel).
    if (element.hasAttribute("data-qx-init-done")) return;
    element.setAttribute("data-qx-init-done", "");

    var name = element.getAttribute("data-qx-init-call");
    var target = Object.prototype.hasOwnProperty.call(CALLABLE, name) ? window[name] : undefined;
    if (typeof target !== "function") {
      console.error("qx-init: cannot start " + name);
      return;
    }
    var args = [];
    if (element.hasAttribute("data-qx-init-id")) args.push(element.getAttribute("data-qx-init-id"));
    if (element.hasAttribute("data-qx-init-options")) {
      args.push(JSON.parse(element.getAttribute("data-qx-init-options")));
    }
    if (CALLABLE[name]) {
      Reflect.construct(target, args);
    } else {
      target.apply(window, args);
    }
  }

  window.wagtail.app.register(
    "qx-init",
    class extends window.StimulusModule.Controller {
      connect() {
        start(this.element);
      }
    },
  );
})();
