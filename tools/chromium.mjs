// Extract the headless Chromium shipped in the pinned npm package
// @sparticuz/chromium (package.json, package-lock.json) into .build/chromium/.
//
//     node tools/chromium.mjs [OUT_DIR]          # `make setup` runs this
//
// The package carries the browser itself, brotli-compressed, in its bin/
// folder: nothing is downloaded. Its own executablePath() inflates into the
// system's temporary directory (/tmp/chromium), shared by every checkout on
// the machine; this does the same inflation into the checkout's build folder:
//
//     .build/chromium/chromium              the chrome-headless-shell binary
//     .build/chromium/lib*.so, vk_*.json    SwiftShader (software GL), next to the binary
//     .build/chromium/lib/                  NSS, NSPR and expat, for machines without them
//     .build/chromium/fonts/                Open Sans (fonts/), with a fonts.conf for FONTCONFIG_PATH
//     .build/chromium/VERSION               the package version it came from
//
// Idempotent: nothing is done when VERSION already names the pinned version.
// The files are written to a temporary folder beside OUT_DIR, which is then
// renamed into place, so an interrupted run leaves no half-extracted browser.
// The binary is built for Linux x64 only; elsewhere this says so and exits 0
// (tests/console fails with the same message).

import { spawnSync } from "node:child_process";
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { brotliDecompressSync, createBrotliDecompress } from "node:zlib";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = resolve(process.argv[2] ?? join(ROOT, ".build", "chromium"));
const PACKAGE = "@sparticuz/chromium";

const packageDir = join(ROOT, "node_modules", PACKAGE); // a direct dependency: always at the top
const version = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")).version;
const bin = join(packageDir, "bin");

// The package's fonts.conf names /tmp/fonts: this one names the fonts where they are now (the test
// driver, tests/console/browser.py, writes its own at each launch).
const fontsConf = (fonts) => `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<!-- Written by tools/chromium.mjs: the fonts of ${PACKAGE} ${version}. -->
<fontconfig>
  <dir>${join(fonts, "fonts")}</dir>
  <cachedir>${join(fonts, "cache")}</cachedir>
</fontconfig>
`;

function running(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

function untar(archive, into) {
  mkdirSync(into, { recursive: true });
  const tar = spawnSync("tar", ["-x", "--no-same-owner", "-C", into], {
    input: brotliDecompressSync(readFileSync(archive)),
    stdio: ["pipe", "inherit", "inherit"],
    maxBuffer: 1 << 30,
  });
  if (tar.status !== 0) throw new Error(`tar failed on ${archive} (${tar.error ?? `exit ${tar.status}`})`);
}

async function main() {
  if (process.platform !== "linux" || process.arch !== "x64") {
    console.warn(`chromium: ${PACKAGE} ships a Linux x64 browser only (this is ${process.platform}-${process.arch}); skipped`);
    return;
  }
  const stamp = join(OUT, "VERSION");
  if (existsSync(join(OUT, "chromium")) && existsSync(stamp) && readFileSync(stamp, "utf8").trim() === version) {
    return;
  }
  mkdirSync(dirname(OUT), { recursive: true });
  for (const name of readdirSync(dirname(OUT), { withFileTypes: true }).map((entry) => entry.name)) {
    const left = name.startsWith(`${basename(OUT)}.tmp-`) && Number(name.slice(basename(OUT).length + 5));
    if (left && !running(left)) rmSync(join(dirname(OUT), name), { recursive: true, force: true }); // an interrupted run's
  }
  const work = `${OUT}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    await pipeline(
      createReadStream(join(bin, "chromium.br")),
      createBrotliDecompress({ chunkSize: 1 << 21 }),
      createWriteStream(join(work, "chromium"), { mode: 0o755 }),
    );
    untar(join(bin, "swiftshader.tar.br"), work);
    untar(join(bin, "al2023.tar.br"), work); // lib/
    untar(join(bin, "fonts.tar.br"), join(work, "fonts"));
    writeFileSync(join(work, "fonts", "fonts.conf"), fontsConf(join(OUT, "fonts")));
    mkdirSync(join(work, "fonts", "cache"), { recursive: true });
    writeFileSync(join(work, "VERSION"), `${version}\n`);
    rmSync(OUT, { recursive: true, force: true });
    renameSync(work, OUT);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`chromium: ${PACKAGE} ${version} extracted into ${OUT}`);
}

await main();
