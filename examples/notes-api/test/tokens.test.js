import assert from "node:assert/strict";
import { test } from "node:test";
import { SignJWT, UnsecuredJWT } from "jose";
import {
  newRefreshToken,
  parseRefreshToken,
  signAccessToken,
  verifyAccessToken,
} from "../src/tokens.js";

const secret = new TextEncoder().encode("test-secret-test-secret-test-secret");

test("an access token round-trips: sub, iss and a 15 minute expiry", async () => {
  const token = await signAccessToken("demo", secret, 900);
  assert.equal(token.split(".").length, 3);
  const payload = await verifyAccessToken(token, secret);
  assert.equal(payload.sub, "demo");
  assert.equal(payload.iss, "notes-api");
  assert.equal(payload.exp - payload.iat, 900);
});

test("a tampered payload, another secret, alg none, an expired token or one without exp or sub are refused", async () => {
  const token = await signAccessToken("demo", secret, 900);
  const [header, payload, signature] = token.split(".");
  const claims = JSON.parse(Buffer.from(payload, "base64url"));
  const forged = Buffer.from(JSON.stringify({ ...claims, sub: "admin" })).toString("base64url");
  await assert.rejects(verifyAccessToken(`${header}.${forged}.${signature}`, secret));
  await assert.rejects(verifyAccessToken(token, new TextEncoder().encode("another-secret")));
  const unsigned = new UnsecuredJWT({ sub: "demo" }).setIssuer("notes-api").encode();
  await assert.rejects(verifyAccessToken(unsigned, secret));
  const expired = await new SignJWT()
    .setProtectedHeader({ alg: "HS256" })
    .setSubject("demo")
    .setIssuer("notes-api")
    .setExpirationTime(Math.floor(Date.now() / 1000) - 10)
    .sign(secret);
  await assert.rejects(verifyAccessToken(expired, secret), { code: "ERR_JWT_EXPIRED" });
  // Signed with the right secret, but without exp (never expires) or without sub (nobody).
  const sign = (claims) => new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setIssuer("notes-api");
  const noExp = await sign({ sub: "demo" }).sign(secret);
  await assert.rejects(verifyAccessToken(noExp, secret), { code: "ERR_JWT_CLAIM_VALIDATION_FAILED", claim: "exp" });
  const noSub = await sign({}).setExpirationTime("15m").sign(secret);
  await assert.rejects(verifyAccessToken(noSub, secret), { code: "ERR_JWT_CLAIM_VALIDATION_FAILED", claim: "sub" });
});

test("refresh tokens: random, same family on rotation, only the hash is kept", () => {
  const first = newRefreshToken();
  const rotated = newRefreshToken(first.family);
  assert.equal(rotated.family, first.family);
  assert.notEqual(rotated.token, first.token);
  assert.ok(!first.hash.includes(first.token.split(".")[1]));
  assert.deepEqual(parseRefreshToken(first.token), { family: first.family, hash: first.hash });
  assert.equal(parseRefreshToken(undefined), null);
  assert.equal(parseRefreshToken(""), null);
});
