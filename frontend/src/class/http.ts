/** JSON requests to the site's API with the session's CSRF token (see docs/api.md). */

let csrf = "";

export class RequestError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  if (!csrf && method !== "GET") await session();
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRFToken"] = csrf;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin" });
  const text = await res.text();
  const data = text && (res.headers.get("Content-Type") ?? "").includes("json") ? JSON.parse(text) : text;
  if (!res.ok) {
    const detail = typeof data === "object" && data?.detail ? data.detail : text || res.statusText;
    const issues = typeof data === "object" && Array.isArray(data?.errors)
      ? data.errors.map((e: { path: string; message: string }) => `${e.path}: ${e.message}`) : [];
    throw new RequestError(res.status, [detail, ...issues].join(" — "));
  }
  return data as T;
}

export async function session(): Promise<{ user: string | null }> {
  const s = await request<{ user: string | null; csrf_token: string }>("GET", "/api/session");
  csrf = s.csrf_token;
  return s;
}
