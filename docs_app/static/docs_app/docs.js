/* Copy buttons for the shared docs: progressive enhancement only. Without JavaScript the pages
   work the same and the text can be selected by hand; with it, every .copyable block gets a
   button. Loaded as a file because the Content-Security-Policy forbids inline script. */
(function () {
  "use strict";

  function copyWithSelection(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "sr";
    document.body.appendChild(area);
    area.select();
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    document.body.removeChild(area);
    return copied ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () {
        return copyWithSelection(text);
      });
    }
    return copyWithSelection(text);
  }

  function selectContents(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function flash(button, label, className) {
    button.textContent = label;
    if (className) {
      button.classList.add(className);
    }
    window.setTimeout(function () {
      button.textContent = "Copy";
      button.classList.remove("copied");
    }, 1800);
  }

  document.querySelectorAll(".copyable").forEach(function (block) {
    var source = block.querySelector("pre");
    if (!source) {
      return;
    }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy-button";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy to the clipboard");
    button.addEventListener("click", function () {
      copyText(source.textContent).then(
        function () {
          flash(button, "Copied", "copied");
        },
        function () {
          selectContents(source);
          flash(button, "Press Ctrl+C");
        }
      );
    });
    block.appendChild(button);
  });
})();
