/* Tandem web form. Put a div with data-tandem-form="KEY" where the form belongs and load
   this script after it (the campaign page gives the snippet to paste). It draws the form
   in a shadow root, so neither page's styles leak into the other, sends it as JSON with
   this page's URL, referrer and utm_* codes, and shows the answer in place. */
(function (config) {
  "use strict";

  var script = document.currentScript;
  var counter = 0;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      node.setAttribute(name, attrs[name]);
    });
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  function pageContext() {
    var context = { page_url: window.location.href, referrer: document.referrer || "" };
    var query = new URLSearchParams(window.location.search);
    ["utm_source", "utm_medium", "utm_campaign"].forEach(function (name) {
      if (query.get(name)) {
        context[name] = query.get(name);
      }
    });
    return context;
  }

  function requiredMark(label) {
    label.appendChild(el("span", { class: "required-mark", "aria-hidden": "true" }, "*"));
  }

  function buildField(field, prefix) {
    var id = prefix + field.name;
    var wrap = el("div", { class: "field", "data-field": field.name });
    var input;
    if (field.type === "checkbox") {
      wrap.className = "field capture__check";
      var row = el("div", { class: "checkbox" });
      input = el("input", { type: "checkbox", id: id, name: field.name });
      var checkLabel = el("label", { for: id }, field.label);
      if (field.required) {
        requiredMark(checkLabel);
      }
      row.appendChild(input);
      row.appendChild(checkLabel);
      wrap.appendChild(row);
      return wrap;
    }
    var label = el("label", { for: id }, field.label);
    if (field.required) {
      requiredMark(label);
    }
    if (field.type === "select") {
      input = el("select", { id: id, name: field.name });
      field.choices.forEach(function (choice) {
        input.appendChild(el("option", { value: choice[0] }, choice[1]));
      });
    } else if (field.type === "textarea") {
      input = el("textarea", { id: id, name: field.name });
    } else {
      input = el("input", { type: field.type, id: id, name: field.name });
    }
    Object.keys(field.attrs || {}).forEach(function (name) {
      input.setAttribute(name, field.attrs[name]);
    });
    if (field.required) {
      input.setAttribute("required", "");
    }
    wrap.appendChild(label);
    wrap.appendChild(input);
    return wrap;
  }

  function clearErrors(form) {
    form.querySelectorAll(".field-errors, .form-errors").forEach(function (node) {
      node.remove();
    });
    form.querySelectorAll(".field--invalid").forEach(function (node) {
      node.classList.remove("field--invalid");
    });
    form.querySelectorAll("[aria-invalid]").forEach(function (node) {
      node.removeAttribute("aria-invalid");
      node.removeAttribute("aria-describedby");
    });
  }

  function showErrors(form, errors) {
    var first = null;
    var general = [];
    Object.keys(errors).forEach(function (name) {
      var messages = errors[name].map(function (error) {
        return typeof error === "string" ? error : error.message;
      });
      var wrap = form.querySelector('[data-field="' + name + '"]');
      if (!wrap) {
        general = general.concat(messages);
        return;
      }
      var input = wrap.querySelector("input, select, textarea");
      var list = el("ul", { class: "field-errors", id: input.id + "_error" });
      messages.forEach(function (message) {
        list.appendChild(el("li", {}, message));
      });
      wrap.classList.add("field--invalid");
      wrap.appendChild(list);
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", list.id);
      first = first || input;
    });
    var box = el("div", { class: "form-errors", role: "alert" });
    box.appendChild(el("p", {}, "Please correct the errors below."));
    if (general.length) {
      var list = el("ul");
      general.forEach(function (message) {
        list.appendChild(el("li", {}, message));
      });
      box.appendChild(list);
    }
    form.insertBefore(box, form.firstChild);
    (first || box).focus();
  }

  function showNotice(form, text) {
    clearErrors(form);
    var box = el("div", { class: "form-errors", role: "alert", tabindex: "-1" });
    box.appendChild(el("p", {}, text));
    form.insertBefore(box, form.firstChild);
    box.focus();
  }

  function showThanks(body, text) {
    var message = el("div", { class: "card__body capture__message capture__message--thanks" });
    message.appendChild(el("h2", { class: "capture__title", tabindex: "-1" }, config.headline));
    message.appendChild(el("p", { role: "status" }, text));
    body.parentNode.replaceChild(message, body);
    message.firstChild.focus();
  }

  function collect(form) {
    var data = pageContext();
    config.fields.forEach(function (field) {
      var input = form.elements[field.name];
      data[field.name] = field.type === "checkbox" ? input.checked : input.value;
    });
    data[config.honeypot.name] = form.elements[config.honeypot.name].value;
    return data;
  }

  function submit(event) {
    var form = event.target;
    var button = form.querySelector("button[type=submit]");
    event.preventDefault();
    clearErrors(form);
    button.disabled = true;
    fetch(config.action, {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(collect(form)),
    })
      .then(function (response) {
        return response.json().then(function (body) {
          return { status: response.status, body: body };
        });
      })
      .then(function (answer) {
        button.disabled = false;
        if (answer.status === 201) {
          if (answer.body.redirect_url) {
            window.location.assign(answer.body.redirect_url);
          } else {
            showThanks(form.parentNode, answer.body.message);
          }
        } else if (answer.status === 400 && !answer.body.detail) {
          showErrors(form, answer.body);
        } else {
          showNotice(form, answer.body.detail || "The form could not be sent.");
        }
      })
      .catch(function () {
        button.disabled = false;
        showNotice(form, "The form could not be sent. Check your connection and try again.");
      });
  }

  function render(host) {
    var prefix = "tandem-" + config.key + "-" + counter++ + "-";
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    var pending = config.stylesheets.length;
    var shell = el("div", { class: "capture capture--inline capture--loading" });
    config.stylesheets.forEach(function (href) {
      var link = el("link", { rel: "stylesheet", href: href });
      link.addEventListener("load", done);
      link.addEventListener("error", done);
      root.appendChild(link);
    });
    function done() {
      pending -= 1;
      if (pending <= 0) {
        shell.classList.remove("capture--loading");
      }
    }

    var card = el("section", { class: "card capture__card" });
    var body = el("div", { class: "card__body" });
    body.appendChild(el("h2", { class: "capture__title" }, config.headline));
    if (config.intro) {
      body.appendChild(el("p", { class: "capture__intro" }, config.intro));
    }
    var refused =
      config.origins.length &&
      config.origins.indexOf(window.location.origin) < 0 &&
      window.location.origin !== new URL(config.action).origin;
    if (config.closed || refused) {
      body.appendChild(el("p", { role: "status" }, config.closed || config.notHere));
    } else {
      var form = el("form", { class: "capture__form", novalidate: "", action: config.action });
      config.fields.forEach(function (field) {
        form.appendChild(buildField(field, prefix));
      });
      var trap = el("div", { class: "capture__trap", "aria-hidden": "true" });
      var trapId = prefix + config.honeypot.name;
      trap.appendChild(el("label", { for: trapId }, config.honeypot.label));
      trap.appendChild(
        el("input", {
          type: "text",
          id: trapId,
          name: config.honeypot.name,
          tabindex: "-1",
          autocomplete: "off",
        })
      );
      form.appendChild(trap);
      form.appendChild(
        el("button", { type: "submit", class: "btn btn-primary btn-lg btn-block" }, config.button)
      );
      form.addEventListener("submit", submit);
      body.appendChild(form);
    }
    card.appendChild(body);
    shell.appendChild(card);
    root.appendChild(shell);
    host.setAttribute("data-tandem-ready", "");
  }

  function mount() {
    var hosts = document.querySelectorAll('[data-tandem-form="' + config.key + '"]');
    var fresh = Array.prototype.filter.call(hosts, function (host) {
      return !host.hasAttribute("data-tandem-ready");
    });
    if (!fresh.length && script && script.parentNode) {
      var host = el("div", { "data-tandem-form": config.key });
      script.parentNode.insertBefore(host, script);
      fresh = [host];
    }
    fresh.forEach(function (host) {
      host.textContent = "";
      render(host);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mount);
  } else {
    mount();
  }
})({{ config|safe }});
