#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx vigil` works without a build step.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/main.ts");
const code = await main(process.argv.slice(2));
if (typeof code === "number") process.exitCode = code;
