#!/usr/bin/env node
// The `partitura` command. In a checkout (src/ present) it runs the TypeScript through tsx;
// from the installed package it runs the compiled JavaScript in dist/.
import { existsSync } from "node:fs";

const source = new URL("../src/cli/main.ts", import.meta.url);
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api");
  register();
  await import(source.href);
} else {
  await import(new URL("../dist/src/cli/main.js", import.meta.url).href);
}
