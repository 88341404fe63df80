/** JSON requests to the site's API with the session's CSRF token (see docs/api.md). */

let csrf = "";

export interface ApiIssue { path: string; line?: number | null; message: string; hint?: string }

export class RequestError extends Error {
  constructor(readonly status: number, message: string, readonly issues: ApiIssue[] = []) { super(message); }
}

/** Where an issue is, for a person: `goals line 2` (lines count from 1; `.ttl` kept), else its path. */
export function where(issue: ApiIssue): string {
  if (!issue.line) return issue.path;
  const [, list, field] = /^(\w+)\[\d+\]\.?(.*)$/.exec(issue.path) ?? [];
  return list ? `${list} line ${issue.line}${field ? `, ${field}` : ""}` : `${issue.path} (line ${issue.line})`;
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
    const issues: ApiIssue[] = typeof data === "object" && Array.isArray(data?.errors) ? data.errors : [];
    throw new RequestError(res.status, [detail, ...issues.map((e) => `${where(e)}: ${e.message}`)].join(" — "), issues);
  }
  return data as T;
}

export async function session(): Promise<{ user: string | null; roles: string[] }> {
  const s = await request<{ user: string | null; csrf_token: string; roles: string[] }>("GET", "/api/session");
  csrf = s.csrf_token;
  return s;
}
