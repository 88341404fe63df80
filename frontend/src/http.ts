/**
 * The one HTTP client of both pages (the editor, the class page): requests to the site's API
 * (docs/api.md) with the session's CSRF token on every change, a refusal as an ApiError; and the
 * session endpoint, which hands out that token.
 */
import type { components } from "./api/schema";
import type { Issue } from "./issues";

export type Session = components["schemas"]["SessionOut"];

/** A refused request: the site's `detail` as the message, and the issues it gave, for the user to read. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly issues: Issue[] = [],
  ) {
    super(message);
  }
}

/** The session's CSRF token, from the last answer of /api/session (a change without it is refused). */
let csrf = "";

/** `body`: JSON, or a form (a file upload). Answers the parsed JSON, or the text of any other answer. */
export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  if (!csrf && method !== "GET") await session();
  const headers: Record<string, string> = { Accept: "application/json" };
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  if (method !== "GET") headers["X-CSRFToken"] = csrf;
  const res = await fetch(path, { method, headers, body: payload, credentials: "same-origin" });
  const text = await res.text();
  const type = res.headers.get("Content-Type") ?? "";
  const data = type.includes("json") && text ? JSON.parse(text) : text;
  if (!res.ok) throw refusal(res, data);
  return data as T;
}

/** The site's own words for the user (an HTML error page or an empty body: the status text); the
 * request itself is in the browser's network log. */
export function refusal(res: Response, data: unknown): ApiError {
  if (typeof data === "object" && data) {
    const { detail, errors } = data as { detail?: unknown; errors?: unknown };
    const message =
      detail == null ? JSON.stringify(data) : typeof detail === "string" ? detail : JSON.stringify(detail);
    return new ApiError(res.status, message, Array.isArray(errors) ? (errors as Issue[]) : []);
  }
  const text = String(data);
  const page = text.trimStart().startsWith("<");
  return new ApiError(res.status, page || !text ? res.statusText || "error" : text);
}

/** Who is signed in, and the CSRF token every change then carries. */
export async function session(): Promise<Session> {
  return remember(await request<Session>("GET", "/api/session"));
}

export async function signIn(username: string, password: string): Promise<Session> {
  return remember(await request<Session>("POST", "/api/session", { username, password }));
}

function remember(s: Session): Session {
  csrf = s.csrf_token;
  return s;
}

/** Where an issue is, for a person: `goals line 2` (lines count from 1; `.ttl` kept), else its path. */
export function where(issue: Pick<Issue, "path" | "line">): string {
  if (!issue.line) return issue.path;
  const [, list, field] = /^(\w+)\[\d+\]\.?(.*)$/.exec(issue.path) ?? [];
  return list ? `${list} line ${issue.line}${field ? `, ${field}` : ""}` : `${issue.path} (line ${issue.line})`;
}

/** The refusal in one line: its message, then each issue where it is (`detail — goals line 2: …`). */
export function explained(err: ApiError): string {
  return [err.message, ...err.issues.map((i) => `${where(i)}: ${i.message}`)].join(" — ");
}
