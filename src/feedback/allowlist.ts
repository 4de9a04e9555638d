/**
 * Who may teach Vigil. VIGIL_FEEDBACK_ALLOWLIST lists Slack user ids (U…/W…) and user-group ids (S…); group
 * membership is read with `usergroups.users.list` and cached. An empty allowlist authorizes everyone, which
 * suits a small team; a shared channel with guests should list the on-call group.
 *
 * @example
 * const authorize = createFeedbackAuthorizer({
 *   allowlist: parseAllowlist(process.env.VIGIL_FEEDBACK_ALLOWLIST),
 *   listGroupMembers: slackGroupMembers(slack.app.client),
 * });
 * await authorize("U0ALICE"); // true when listed directly or through a group
 */
import type { webApi } from "@slack/bolt";

export interface Allowlist {
  users: string[];
  groups: string[];
}

/** Comma- or space-separated ids; user-group ids start with S (Slack "subteam"), everything else is a user. */
export function parseAllowlist(value: string | undefined): Allowlist {
  const ids = (value ?? "")
    .split(/[\s,]+/)
    .map((id) => id.trim())
    .filter(Boolean);
  return {
    users: ids.filter((id) => !id.startsWith("S")),
    groups: ids.filter((id) => id.startsWith("S")),
  };
}

export type ListGroupMembers = (groupId: string) => Promise<string[]>;

/** `usergroups.users.list` through a Slack Web API client (needs the `usergroups:read` scope). */
export function slackGroupMembers(client: Pick<webApi.WebClient, "usergroups">): ListGroupMembers {
  return async (groupId) => {
    const response = await client.usergroups.users.list({ usergroup: groupId });
    return response.users ?? [];
  };
}

export interface AuthorizerOptions {
  allowlist: Allowlist;
  listGroupMembers?: ListGroupMembers;
  /** Group membership is re-read after this long; default 5 minutes (on-call rotations change weekly). */
  cacheMs?: number;
  onError?: (error: unknown, groupId: string) => void;
}

export type Authorize = (userId: string) => Promise<boolean>;

export function createFeedbackAuthorizer(options: AuthorizerOptions): Authorize {
  const { users, groups } = options.allowlist;
  const cacheMs = options.cacheMs ?? 5 * 60_000;
  const cache = new Map<string, { at: number; members: Set<string> }>();

  async function members(groupId: string): Promise<Set<string>> {
    const hit = cache.get(groupId);
    if (hit && Date.now() - hit.at < cacheMs) return hit.members;
    if (!options.listGroupMembers) return new Set();
    try {
      const list = new Set(await options.listGroupMembers(groupId));
      cache.set(groupId, { at: Date.now(), members: list });
      return list;
    } catch (error) {
      // Fail closed but keep the stale list if there is one: a Slack hiccup should not silence the on-call.
      options.onError?.(error, groupId);
      return hit?.members ?? new Set();
    }
  }

  return async (userId) => {
    if (users.length === 0 && groups.length === 0) return true;
    if (users.includes(userId)) return true;
    for (const group of groups) {
      if ((await members(group)).has(userId)) return true;
    }
    return false;
  };
}
