import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';

// A real headless Chromium from npm: @sparticuz/chromium ships one, brotli-compressed, with the
// libraries a bare Debian lacks (NSS, NSPR, expat). It unpacks them only when it believes it runs
// on AWS Lambda, into os.tmpdir(), and points LD_LIBRARY_PATH at them in its own process. So the
// unpacking runs in a child process with those variables, into a folder of ours kept between
// runs, and only the browser gets the library path: nothing in the test process changes.

// Its package.json is not exported: found from the entry point (build/cjs/index.cjs).
const packageDir = path.resolve(path.dirname(createRequire(import.meta.url).resolve('@sparticuz/chromium')), '..', '..');
const version: string = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')).version;
const home = path.join(os.tmpdir(), `threadline-chromium-${version}`);

function unpacked(): string {
  const exe = path.join(home, 'chromium');
  if (fs.existsSync(exe) && fs.existsSync(path.join(home, 'al2023', 'lib'))) return exe;
  // Unpacked beside, then renamed into place: two test files may ask at the same moment.
  const staging = fs.mkdtempSync(`${home}.staging-`);
  try {
    const script = "import('@sparticuz/chromium').then(async (m) => process.stdout.write(await m.default.executablePath()))";
    const out = execFileSync(process.execPath, ['-e', script], {
      cwd: packageDir,
      env: { PATH: process.env.PATH, HOME: staging, TMPDIR: staging, AWS_LAMBDA_JS_RUNTIME: 'nodejs20.x' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (out !== path.join(staging, 'chromium')) throw new Error(`@sparticuz/chromium unpacked to ${out}, not into ${staging}`);
    try {
      fs.renameSync(staging, home);
    } catch (err) {
      if (!fs.existsSync(exe)) throw err; // someone else's copy is in place: use it
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return exe;
}

/**
 * The package's fonts.conf names /tmp/fonts, where Lambda unpacks it; ours names the folder the
 * fonts are in here. Without it pages render with no glyphs, and text has no size.
 */
function fontConfig(): string {
  const file = path.join(home, 'threadline-fonts.conf');
  if (!fs.existsSync(file)) {
    const conf = `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${path.join(home, 'fonts')}</dir>\n  <cachedir>${path.join(home, 'fonts-cache')}</cachedir>\n</fontconfig>\n`;
    fs.writeFileSync(`${file}.${process.pid}`, conf);
    fs.renameSync(`${file}.${process.pid}`, file);
  }
  return file;
}

/** Launches headless Chromium for a test; the caller closes it. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: unpacked(),
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      LD_LIBRARY_PATH: path.join(home, 'al2023', 'lib'),
      FONTCONFIG_FILE: fontConfig(),
    },
    // As root there is no sandbox to use; the background-networking flags keep Chromium from
    // trying hosts this closed machine cannot reach.
    args: [
      '--no-sandbox',
      '--no-zygote',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-domain-reliability',
    ],
  });
}
