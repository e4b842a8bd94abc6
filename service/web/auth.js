// The API token: asked for only when the API answers 401, kept in this tab only.

const KEY = "netadvisor.token";
let pending = null;

export function getToken() {
  return window.sessionStorage.getItem(KEY);
}

function prompt(rejected) {
  return new Promise((resolve) => {
    const dialog = document.getElementById("token-dialog");
    const input = dialog.querySelector("input");
    dialog.querySelector(".token-message").textContent = rejected
      ? "The service did not accept that token. Enter another one."
      : "This service needs an API token for its /v1 calls.";
    input.value = "";
    dialog.returnValue = "";
    dialog.addEventListener(
      "close",
      () => {
        const token = input.value.trim();
        if (dialog.returnValue === "ok" && token) {
          window.sessionStorage.setItem(KEY, token);
          resolve(token);
        } else {
          resolve(null);
        }
      },
      { once: true },
    );
    dialog.showModal();
    input.focus();
  });
}

// One dialog at a time, however many calls were refused together.
export function askForToken(rejected) {
  if (!pending) {
    if (rejected) window.sessionStorage.removeItem(KEY);
    pending = prompt(rejected).finally(() => {
      pending = null;
    });
  }
  return pending;
}
