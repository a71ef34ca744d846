/**
 * Turns a failed Hub request (status + X-Error-Code + X-Error-Message, recorded by io/fetch.ts)
 * into a HubError whose code says what happened and whose message says what to do.
 * The 401/403/404 semantics follow shared/hub-api.md §2.7.
 */
import { type ErrorCode, HubError } from "../core/errors.js";
import { HEX40 } from "../core/object-id.js";
import { type FailureRecord, redactSecrets } from "./fetch.js";

export interface CallContext {
  /** What we were doing, e.g. "list the files of acme/x at 0f1e2d3". */
  what: string;
  repo: string;
  revision?: string | undefined;
  path?: string | undefined;
  hubUrl: string;
  token: string | undefined;
}

function waitNote(f: FailureRecord): string {
  if (f.retries === 0) return "";
  return ` (after ${f.retries} ${f.retries === 1 ? "retry" : "retries"} and ${Math.round(f.waitedMs / 1000)} s of waiting)`;
}

/**
 * Text the Hub wrote, made safe to print: control characters (terminal escapes, bells, new lines)
 * become "?", and it is cut at `max` characters.
 */
export function cleanHubText(text: string, max = 300): string {
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?").trim();
  return flat.length > max ? `${flat.slice(0, max)}… (${flat.length - max} more characters)` : flat;
}

export function classifyFailure(ctx: CallContext, f: FailureRecord, detail?: string): HubError {
  const page = `${ctx.hubUrl}/${ctx.repo}`;
  const hasToken = ctx.token !== undefined;
  const server = cleanHubText(f.errorMessage ?? detail ?? "");
  const make = (code: ErrorCode, message: string) =>
    new HubError(code, redactSecrets(message, ctx.token), { status: f.status });

  switch (f.errorCode) {
    case "GatedRepo":
      if (f.status === 403) {
        return make(
          "HUB_GATED",
          `${ctx.repo} is a gated model and the account behind your token has not been granted access (the request may still be pending). Ask for access at ${page}, then retry.`,
        );
      }
      return make(
        "HUB_GATED",
        hasToken
          ? `${ctx.repo} is a gated model and the Hub did not accept your token for it. Accept the conditions at ${page} with the account that owns the token, then retry.`
          : `${ctx.repo} is a gated model: accept the conditions at ${page} and pass a token from that account (--token, HF_TOKEN or \`hf auth login\`).`,
      );
    case "RepoNotFound":
      if (!hasToken) {
        return make(
          "HUB_PRIVATE",
          `${ctx.repo} was not found on ${ctx.hubUrl}, or it is private (without a token the Hub answers the same for both). Check the name; if it is private, pass a token that can read it (--token or HF_TOKEN).`,
        );
      }
      return make(
        "HUB_NOT_FOUND",
        `${ctx.repo} was not found on ${ctx.hubUrl}, or the account behind your token cannot read it (a private repo). Check the name and the token's permissions.`,
      );
    case "RevisionNotFound": {
      const rev = ctx.revision ?? "(default branch)";
      const rewritten = HEX40.test(rev)
        ? " The commit may have been removed by a history rewrite (super-squash or force-push)."
        : "";
      return make("HUB_REVISION_NOT_FOUND", `${ctx.repo} has no revision "${rev}".${rewritten}`);
    }
    case "EntryNotFound":
      return make(
        "HUB_ENTRY_NOT_FOUND",
        `${ctx.path ?? "The requested path"} does not exist in ${ctx.repo} at ${ctx.revision ?? "the default branch"}.`,
      );
    default:
      break;
  }

  const s = f.status;
  if (s === 401) {
    return make(
      "HUB_AUTH",
      hasToken
        ? `The Hub rejected your token while trying to ${ctx.what} (invalid or expired). Create a new one at https://huggingface.co/settings/tokens.`
        : `The Hub requires authentication to ${ctx.what}: pass a token (--token or HF_TOKEN).`,
    );
  }
  if (s === 403) {
    if (/disabled/i.test(server)) {
      return make(
        "HUB_DISABLED",
        `${ctx.repo} has been disabled on the Hub (usually after a policy or abuse report); it cannot be used.`,
      );
    }
    return make(
      "HUB_AUTH",
      `Permission denied while trying to ${ctx.what}${hasToken ? ": your token may lack read access to this repo (fine-grained token scopes)" : ""}.${server ? ` The Hub said: ${server}` : ""}`,
    );
  }
  if (s === 404) {
    return make(
      "HUB_NOT_FOUND",
      `Not found while trying to ${ctx.what} (${f.url}).${server ? ` The Hub said: ${server}` : ""}`,
    );
  }
  if (s === 429) {
    const asked =
      f.askedWaitMs !== undefined
        ? ` The Hub asked us to wait ${Math.round(f.askedWaitMs / 1000)} s more, beyond our limit.`
        : "";
    return make(
      "HUB_RATE_LIMITED",
      `The Hub is rate-limiting requests (HTTP 429) while trying to ${ctx.what}${waitNote(f)}.${asked} Try again later${hasToken ? "" : ", and pass a token: logged-in users get higher limits"}.`,
    );
  }
  if (s === 408 || s >= 500) {
    return make(
      "HUB_UNAVAILABLE",
      `The Hub answered HTTP ${s} while trying to ${ctx.what}${waitNote(f)}. Try again later.${f.requestId ? ` Request id: ${f.requestId}.` : ""}`,
    );
  }
  return make(
    "HUB_PROTOCOL",
    `Unexpected HTTP ${s} from the Hub while trying to ${ctx.what} (${f.url}).${server ? ` The Hub said: ${server}` : ""}`,
  );
}
