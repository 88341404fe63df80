/** The editor's sign-in form, shown when the page opens without a session. */
import { ApiError, api } from "./api";
import { h } from "./dom";

/** Asks for a user name and password until the site accepts them; answers the user name. */
export function signIn(box: HTMLElement): Promise<string> {
  box.hidden = false;
  return new Promise((resolve) => {
    const user = h("input", { name: "username", autocomplete: "username", required: true });
    const pass = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
    const error = h("p", { class: "error" });
    const form = h(
      "form",
      { id: "signin-form" },
      h("h1", {}, "mvlab"),
      h("p", {}, "Sign in to design and deploy macvlan labs."),
      h("label", {}, "User name ", user),
      h("label", {}, "Password ", pass),
      error,
      h("button", { type: "submit" }, "Sign in"),
    );
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        const s = await api.signIn(user.value, pass.value);
        if (!s.user) throw new Error("the site did not accept the sign-in");
        box.hidden = true;
        resolve(s.user);
      } catch (err) {
        error.textContent =
          err instanceof ApiError && (err.status === 401 || err.status === 403 || err.status === 400)
            ? "Wrong user name or password."
            : (err as Error).message;
      }
    });
    box.append(form);
    user.focus();
  });
}
