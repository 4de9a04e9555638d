import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { webApi } from "@slack/bolt";
import { type FakeSlack, startFakeSlack } from "../../test/fakes/slack-web-api.ts";
import { createFeedbackAuthorizer, parseAllowlist, slackGroupMembers } from "./allowlist.ts";

describe("src/feedback/allowlist", () => {
  let fake: FakeSlack;
  let client: webApi.WebClient;

  before(async () => {
    fake = await startFakeSlack();
    fake.seedUserGroup("S0ONCALL", ["U0DAVE", "U0ERIN"]);
    client = new webApi.WebClient("xoxb-test", { slackApiUrl: fake.url, retryConfig: { retries: 0 } });
  });

  after(async () => {
    await fake.close();
  });

  it("parses user ids and user-group ids", () => {
    assert.deepEqual(parseAllowlist(" U0ALICE, S0ONCALL W0BOB,,"), {
      users: ["U0ALICE", "W0BOB"],
      groups: ["S0ONCALL"],
    });
    assert.deepEqual(parseAllowlist(undefined), { users: [], groups: [] });
  });

  it("authorizes everyone when the allowlist is empty", async () => {
    const authorize = createFeedbackAuthorizer({ allowlist: parseAllowlist("") });

    assert.equal(await authorize("U0ANYONE"), true);
  });

  it("authorizes listed users and members of listed groups, read through usergroups.users.list", async () => {
    const authorize = createFeedbackAuthorizer({
      allowlist: parseAllowlist("U0ALICE,S0ONCALL"),
      listGroupMembers: slackGroupMembers(client),
    });

    assert.equal(await authorize("U0ALICE"), true);
    assert.equal(await authorize("U0DAVE"), true);
    assert.equal(await authorize("U0MALLORY"), false);
    const call = fake.callsTo("usergroups.users.list")[0];
    assert.equal(call?.args.usergroup, "S0ONCALL");
  });

  it("caches group membership", async () => {
    const authorize = createFeedbackAuthorizer({
      allowlist: parseAllowlist("S0ONCALL"),
      listGroupMembers: slackGroupMembers(client),
    });
    const before = fake.callsTo("usergroups.users.list").length;

    await authorize("U0DAVE");
    await authorize("U0ERIN");
    await authorize("U0MALLORY");

    assert.equal(fake.callsTo("usergroups.users.list").length - before, 1);
  });

  it("fails closed when a group cannot be read, and reports it", async () => {
    const errors: string[] = [];
    const authorize = createFeedbackAuthorizer({
      allowlist: parseAllowlist("S0UNKNOWN"),
      listGroupMembers: slackGroupMembers(client),
      onError: (_error, groupId) => errors.push(groupId),
    });

    assert.equal(await authorize("U0DAVE"), false);
    assert.deepEqual(errors, ["S0UNKNOWN"]);
  });
});
