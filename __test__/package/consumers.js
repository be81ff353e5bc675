'use strict';

// The package as users get it: the linux-x64-gnu platform package is built with the release workflow's own
// step (`npm run build:platform`), both are packed as the release packs them (scripts/release.js pack), and
// each consumer below is a new empty project that installs the tarballs with --ignore-scripts and a PATH
// without cargo, then runs what a user runs. `npm run test:package` runs this file; it is not named *.test.js,
// so `npm run test:js` (every Node version) leaves it out: it builds for a minute and installs from the registry.
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert');
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const WebSocketClient = require('ws');
const { EventSource: ClientEventSource } = require('eventsource');
const { platformSuffix } = require('../../lib/platform');

const root = path.join(__dirname, '..', '..');
const { version } = require('../../package.json');
const SUFFIX = 'linux-x64-gnu';
const TARGET = 'x86_64-unknown-linux-gnu';
const ADDON = `faye-websocket-native.${SUFFIX}.node`;
const TYPESCRIPT = '5.9.3';
const SOCKJS = '0.3.24';
const PNPM = '12.23.0';
const BUILD_COMMAND = 'npx faye-websocket-native-build';
const MiB = 1024 * 1024;

const skip = platformSuffix() !== SUFFIX && `the packages built here are ${SUFFIX}'s; this is ${platformSuffix()}`;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'faye-websocket-native-consumers-'));
const dist = path.join(work, 'dist');
const tarballs = {
  root: path.join(dist, `faye-websocket-native-${version}.tgz`),
  platform: path.join(dist, `faye-websocket-native-${SUFFIX}-${version}.tgz`),
};

// PATH as on a machine without Rust: every folder that has cargo left out (node and npm stay).
const pathWithoutCargo = process.env.PATH.split(path.delimiter)
  .filter((dir) => dir && !fs.existsSync(path.join(dir, 'cargo')))
  .join(path.delimiter);

function run(command, args, { cwd = root, env = {}, check = true } = {}) {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (check && result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status}\n${result.stdout}\n${result.stderr}`);
  }
  return { ...result, seconds };
}

function du(dir) {
  return Number(run('du', ['-sk', dir]).stdout.split('\t')[0]) * 1024;
}

const size = (bytes) => `${(bytes / MiB).toFixed(2)} MiB`;

const NPM_INSTALL = ['npm', 'install', '--ignore-scripts', '--no-audit', '--no-fund'];

// A new project with this package.json, installed as a user installs it (npm with --ignore-scripts unless
// another install command is given).
function consumer(name, manifest, [command, ...args] = NPM_INSTALL) {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, private: true, ...manifest }, null, 2));
  const install = run(command, args, { cwd: dir, env: { PATH: pathWithoutCargo } });
  return { dir, install };
}

function write(dir, file, text) {
  fs.writeFileSync(path.join(dir, file), text);
  return path.join(dir, file);
}

// Starts `node <file>` in the consumer; resolves with the first line it prints as JSON, and the child.
function startNode(dir, file, env = {}) {
  const child = spawn(process.execPath, [file], { cwd: dir, env: { ...process.env, PATH: pathWithoutCargo, ...env } });
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (data) => {
      output += data;
      const line = output.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ child, ...JSON.parse(line) });
      const listening = /localhost:(\d+)/.exec(output);
      if (listening) resolve({ child, port: Number(listening[1]) });
    });
    child.stderr.on('data', (data) => (output += data));
    child.on('exit', (code) => reject(new Error(`${file} exited with ${code}: ${output}`)));
  });
}

// The README's echo server (examples/echo-server.js), run in the consumer on a free port.
function startEchoServer(dir) {
  return startNode(dir, write(dir, 'echo-server.js', fs.readFileSync(path.join(root, 'examples', 'echo-server.js'))), {
    PORT: '0',
  });
}

function nodeIn(dir, script, env = {}) {
  return run(process.execPath, ['-e', script], { cwd: dir, env: { PATH: pathWithoutCargo, ...env }, check: false });
}

// Sends each message to a WebSocket echo endpoint and resolves with the replies once all came back.
function echo(url, messages) {
  return new Promise((resolve, reject) => {
    const client = new WebSocketClient(url);
    const replies = [];
    client.on('error', reject);
    client.on('open', () => messages.forEach((message) => client.send(message)));
    client.on('message', (data, isBinary) => {
      replies.push(isBinary ? [...data] : data.toString());
      if (replies.length === messages.length) client.close(1000, 'done');
    });
    client.on('close', () => resolve(replies));
  });
}

// The .node files a fresh process of the consumer has loaded after requiring the package.
function loadedAddons(dir, specifier) {
  const result = nodeIn(
    dir,
    `require(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(require.cache).filter((f) => f.endsWith('.node'))))`
  );
  assert.strictEqual(result.status, 0, result.stderr);
  return JSON.parse(result.stdout);
}

function filesNamed(dir, predicate) {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => predicate(entry))
    .map((entry) => path.join(entry.parentPath || entry.path, entry.name));
}

describe('the packed package, installed as users install it', { skip, timeout: 15 * 60 * 1000 }, () => {
  before(() => {
    assert.ok(
      run('npm', ['--version'], { env: { PATH: pathWithoutCargo } }).stdout,
      'npm is on the PATH without cargo'
    );
    assert.strictEqual(
      run('cargo', ['--version'], { env: { PATH: pathWithoutCargo }, check: false }).error?.code,
      'ENOENT'
    );
    const build = run('npm', ['run', 'build:platform', '--', TARGET]);
    console.log(`npm run build:platform -- ${TARGET}: ${build.seconds.toFixed(0)} s`);
    run(process.execPath, [path.join(root, 'scripts', 'release.js'), 'pack', dist, '--only', SUFFIX]);
    for (const [kind, file] of Object.entries(tarballs))
      console.log(`${kind} tarball: ${fs.statSync(file).size} bytes`);
  });

  after(() => fs.rmSync(work, { recursive: true, force: true }));

  test('the root tarball lists every platform package at its exact version, and ships what the README names', () => {
    const manifest = JSON.parse(run('tar', ['-xzOf', tarballs.root, 'package/package.json']).stdout);
    const { TARGETS } = require('../../lib/targets');
    assert.deepStrictEqual(
      manifest.optionalDependencies,
      Object.fromEntries(TARGETS.map(({ suffix }) => [`faye-websocket-native-${suffix}`, version]))
    );
    assert.strictEqual(manifest.scripts.install, undefined, 'no install script');
    assert.strictEqual(manifest.scripts.postinstall, undefined, 'no postinstall script');
    const files = run('tar', ['-tzf', tarballs.root]).stdout.split('\n');
    for (const file of ['LICENSE', 'README.md', 'CHANGELOG.md', 'Cargo.toml', 'Cargo.lock', 'scripts/build.js']) {
      assert.ok(files.includes(`package/${file}`), `${file} is in the tarball`);
    }
    const platform = JSON.parse(run('tar', ['-xzOf', tarballs.platform, 'package/package.json']).stdout);
    assert.deepStrictEqual([platform.os, platform.cpu, platform.libc], [['linux'], ['x64'], ['glibc']]);
    assert.strictEqual(platform.version, version);
  });

  test("the release's publish step, dry-run: the platform package first, then the root, with provenance", () => {
    const result = run(process.execPath, [path.join(root, 'scripts', 'release.js'), 'publish', dist, '--dry-run']);
    const published = [...(result.stdout + result.stderr).matchAll(/^\+ (\S+)$/gm)].map((match) => match[1]);
    assert.deepStrictEqual(published, [
      `faye-websocket-native-${SUFFIX}@${version}`,
      `faye-websocket-native@${version}`,
    ]);
    assert.match(result.stdout, /--provenance --dry-run/);
  });

  test("every README link works from the npm page: relative ones name shipped files, the repository's tracked ones", () => {
    const shipped = run('tar', ['-tzf', tarballs.root]).stdout.split('\n');
    const tracked = run('git', ['ls-files'], { cwd: root }).stdout.split('\n');
    const repository = require('../../package.json').homepage.replace(/#.*$/, '');
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1].replace(/#.*$/, ''));
    assert.ok(links.length > 0);
    for (const link of links.filter(Boolean)) {
      const inRepository = /^(?:blob|raw)\/main\/(.+?)(?:\?raw=true)?$/.exec(link.slice(repository.length + 1));
      if (link.startsWith(`${repository}/`) && inRepository) assert.ok(tracked.includes(inRepository[1]), link);
      else if (!/^[a-z]+:/.test(link)) assert.ok(shipped.includes(`package/${link}`), link);
    }
  });

  describe('a project with the prebuilt package, no install script and no cargo', () => {
    let app;
    before(() => {
      app = consumer('app', {
        dependencies: {
          'faye-websocket-native': `file:${tarballs.root}`,
          [`faye-websocket-native-${SUFFIX}`]: `file:${tarballs.platform}`,
          typescript: TYPESCRIPT,
        },
      });
      const sizes = ['faye-websocket-native', `faye-websocket-native-${SUFFIX}`, '@types/node', 'undici-types'].map(
        (name) => `${name} ${size(du(path.join(app.dir, 'node_modules', name)))}`
      );
      console.log(`prebuilt install (with typescript): ${app.install.seconds.toFixed(1)} s; ${sizes.join(', ')}`);
    });

    test('the addon comes from the platform package and nothing was built', () => {
      assert.deepStrictEqual(loadedAddons(app.dir, 'faye-websocket-native'), [
        path.join(app.dir, 'node_modules', `faye-websocket-native-${SUFFIX}`, ADDON),
      ]);
      const pkgDir = path.join(app.dir, 'node_modules', 'faye-websocket-native');
      assert.deepStrictEqual(
        filesNamed(pkgDir, (e) => e.name.endsWith('.node') || e.name === 'target'),
        []
      );
    });

    test("the README's echo server answers a ws client", async () => {
      const { child, port } = await startEchoServer(app.dir);
      try {
        assert.deepStrictEqual(await echo(`ws://127.0.0.1:${port}/`, ['hello', Buffer.from([1, 2, 3])]), [
          'hello',
          [1, 2, 3],
        ]);
      } finally {
        child.kill();
      }
    });

    test('a Client round trip', async () => {
      const server = await startEchoServer(app.dir);
      try {
        const file = write(
          app.dir,
          'client.js',
          `const WebSocket = require('faye-websocket-native');
          const ws = new WebSocket.Client('ws://127.0.0.1:${server.port}/');
          const seen = [];
          ws.on('open', () => ws.send('round trip'));
          ws.on('message', (event) => { seen.push(event.data); ws.close(1000, 'bye'); });
          ws.on('close', (event) => console.log(JSON.stringify({ seen, code: event.code, reason: event.reason })));`
        );
        const result = run(process.execPath, [file], { cwd: app.dir, env: { PATH: pathWithoutCargo } });
        assert.deepStrictEqual(JSON.parse(result.stdout), { seen: ['round trip'], code: 1000, reason: 'bye' });
      } finally {
        server.child.kill();
      }
    });

    test('an EventSource event reaches the eventsource client', async () => {
      const file = write(
        app.dir,
        'events.js',
        `const http = require('http');
        const WebSocket = require('faye-websocket-native');
        const server = http.createServer((request, response) => {
          if (!WebSocket.EventSource.isEventSource(request)) return response.end();
          const es = new WebSocket.EventSource(request, response);
          es.send('tick', { event: 'clock', id: '7' });
        });
        server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));`
      );
      const { child, port } = await startNode(app.dir, file);
      try {
        const source = new ClientEventSource(`http://127.0.0.1:${port}/`);
        const event = await new Promise((resolve, reject) => {
          source.addEventListener('clock', resolve);
          source.onerror = reject;
        });
        source.close();
        assert.deepStrictEqual([event.data, event.lastEventId], ['tick', '7']);
      } finally {
        child.kill();
      }
    });

    test('an ES module import', () => {
      const file = write(
        app.dir,
        'esm.mjs',
        `import WebSocket, { Client, EventSource, isWebSocket } from 'faye-websocket-native';
        console.log(JSON.stringify([typeof WebSocket, Client === WebSocket.Client, EventSource === WebSocket.EventSource, isWebSocket === WebSocket.isWebSocket]));`
      );
      const result = run(process.execPath, [file], { cwd: app.dir, env: { PATH: pathWithoutCargo } });
      assert.deepStrictEqual(JSON.parse(result.stdout), ['function', true, true, true]);
    });

    test('tsc --strict --noEmit accepts a typed program (only this package and TypeScript installed)', () => {
      assert.deepStrictEqual(fs.readdirSync(path.join(app.dir, 'node_modules')).sort(), [
        '.bin',
        '.package-lock.json',
        '@types',
        'faye-websocket-native',
        `faye-websocket-native-${SUFFIX}`,
        'typescript',
        'undici-types',
      ]);
      write(
        app.dir,
        'typed.ts',
        `import * as http from 'http';
        import WebSocket = require('faye-websocket-native');
        const server = http.createServer((request, response) => {
          if (WebSocket.EventSource.isEventSource(request)) {
            const es = new WebSocket.EventSource(request, response, { retry: 5, ping: 10 });
            const accepted: boolean = es.send('hello', { event: 'greeting', id: '1' });
            console.log(accepted, es.lastEventId);
          }
        });
        server.on('upgrade', (request, socket, body) => {
          if (!WebSocket.isWebSocket(request)) return;
          const ws = new WebSocket(request, socket, body, ['chat'], { maxLength: 1024, ping: 30 });
          ws.on('message', (event: WebSocket.MessageEvent) => ws.send(event.data));
          ws.onclose = (event) => console.log(event.code, event.reason);
        });
        const client = new WebSocket.Client('ws://localhost:8000/', [], { handshakeTimeout: 1000 });
        client.on('open', () => client.send(Buffer.from('hi')));
        const state: number = client.readyState;
        console.log(state);`
      );
      const tsc = path.join(app.dir, 'node_modules', 'typescript', 'bin', 'tsc');
      const result = run(
        process.execPath,
        [
          tsc,
          '--strict',
          '--noEmit',
          '--module',
          'nodenext',
          '--moduleResolution',
          'nodenext',
          '--target',
          'es2022',
          'typed.ts',
        ],
        { cwd: app.dir, check: false }
      );
      assert.strictEqual(result.status, 0, result.stdout + result.stderr);
    });
  });

  test(`a pnpm ${PNPM} project (pnpm runs no dependency scripts) gets the prebuilt addon`, async () => {
    const { dir, install } = consumer(
      'pnpm',
      {
        dependencies: {
          'faye-websocket-native': `file:${tarballs.root}`,
          [`faye-websocket-native-${SUFFIX}`]: `file:${tarballs.platform}`,
        },
      },
      ['npx', '--yes', `pnpm@${PNPM}`, 'install']
    );
    console.log(`pnpm install: ${install.seconds.toFixed(1)} s`);
    const [addon] = loadedAddons(dir, 'faye-websocket-native');
    assert.match(addon, new RegExp(`/node_modules/faye-websocket-native-${SUFFIX}/${ADDON.replace(/\./g, '\\.')}$`));
    const server = await startEchoServer(dir);
    try {
      assert.deepStrictEqual(await echo(`ws://127.0.0.1:${server.port}/`, ['through pnpm']), ['through pnpm']);
    } finally {
      server.child.kill();
    }
  });

  // sockjs 0.3.24 requires faye-websocket ^0.11.3: mapped to our tarball, it must get ours, and faye must not
  // be installed at all.
  const SOCKJS_SERVER = `const http = require('http');
    const path = require('path');
    const sockjs = require('sockjs');
    const fayePath = require.resolve('faye-websocket', { paths: [path.dirname(require.resolve('sockjs'))] });
    const FayeWebSocket = require(fayePath);
    const pkg = require(path.join(path.dirname(fayePath), 'package.json'));
    const served = [];
    const echo = sockjs.createServer({ log() {} });
    echo.on('connection', (conn) => {
      served.push(conn._session.ws instanceof FayeWebSocket && conn._session.ws.constructor.name);
      conn.on('data', (message) => conn.write(message + ' ' + JSON.stringify(served)));
    });
    const server = http.createServer();
    echo.installHandlers(server, { prefix: '/echo' });
    server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({
      port: server.address().port,
      name: pkg.name,
      addons: Object.keys(require.cache).filter((f) => f.endsWith('.node')).map((f) => path.relative(__dirname, f)),
    })));`;

  for (const [how, manifest] of [
    [
      'overrides',
      {
        dependencies: { sockjs: SOCKJS, [`faye-websocket-native-${SUFFIX}`]: `file:${tarballs.platform}` },
        overrides: { 'faye-websocket': `file:${tarballs.root}` },
      },
    ],
    [
      'an alias dependency',
      {
        dependencies: {
          'faye-websocket': `file:${tarballs.root}`,
          sockjs: SOCKJS,
          [`faye-websocket-native-${SUFFIX}`]: `file:${tarballs.platform}`,
        },
        overrides: { 'faye-websocket': '$faye-websocket' },
      },
    ],
  ]) {
    test(`sockjs ${SOCKJS} is served by our addon when faye-websocket is mapped to it with ${how}`, async () => {
      const { dir } = consumer(`sockjs-${how.replace(/ /g, '-')}`, manifest);
      const installed = filesNamed(
        path.join(dir, 'node_modules'),
        (e) => e.isDirectory() && e.name === 'faye-websocket'
      );
      assert.deepStrictEqual(
        installed,
        [path.join(dir, 'node_modules', 'faye-websocket')],
        'one faye-websocket, at the top'
      );
      const { child, port, name, addons } = await startNode(dir, write(dir, 'server.js', SOCKJS_SERVER));
      try {
        assert.strictEqual(name, 'faye-websocket-native');
        assert.deepStrictEqual(addons, [path.join('node_modules', `faye-websocket-native-${SUFFIX}`, ADDON)]);
        assert.deepStrictEqual(await echo(`ws://127.0.0.1:${port}/echo/websocket`, ['hello']), ['hello ["WebSocket"]']);
      } finally {
        child.kill();
      }
    });
  }

  describe('a project on a platform with no prebuilt addon', () => {
    let app;
    const tempBuilds = () =>
      fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith('faye-websocket-native-build-'));
    before(() => {
      // --os: npm installs for another operating system, so no platform package fits, as on FreeBSD.
      app = consumer('no-binary', { dependencies: { 'faye-websocket-native': `file:${tarballs.root}` } }, [
        ...NPM_INSTALL,
        '--os=freebsd',
      ]);
    });

    test('require() throws one error naming the platform, what it tried and the build command', () => {
      const result = nodeIn(
        app.dir,
        "try { require('faye-websocket-native') } catch (e) { console.log(JSON.stringify(e.message)) }"
      );
      const addon = path.join(app.dir, 'node_modules', 'faye-websocket-native', ADDON);
      assert.strictEqual(
        JSON.parse(result.stdout),
        `faye-websocket-native: no native addon for ${SUFFIX} (Node ${process.version}). Tried:\n` +
          `  ${addon}: Cannot find module '${addon}'\n` +
          `  faye-websocket-native-${SUFFIX}: Cannot find module 'faye-websocket-native-${SUFFIX}'\n` +
          `The prebuilt addon for ${SUFFIX} comes in the optional dependency faye-websocket-native-${SUFFIX}, which is ` +
          'not installed: npm leaves it out with --omit=optional, or when the lockfile was made without it. ' +
          `To build the addon from source (needs Rust), run: ${BUILD_COMMAND}`
      );
    });

    test(`${BUILD_COMMAND} without Rust says what is missing, with no stack trace`, () => {
      const [command, ...args] = BUILD_COMMAND.split(' ');
      const result = run(command, args, { cwd: app.dir, env: { PATH: pathWithoutCargo }, check: false });
      assert.strictEqual(result.status, 1);
      assert.strictEqual(
        result.stderr,
        'faye-websocket-native: building the native addon from source needs Rust, and `cargo` was not found on PATH.\n' +
          'Install Rust (https://rustup.rs), open a new shell so that cargo is on PATH, and run this command again.\n'
      );
    });

    test(`${BUILD_COMMAND} with Rust builds it, shows cargo's progress and leaves no build directory`, async () => {
      const before = tempBuilds();
      const [command, ...args] = BUILD_COMMAND.split(' ');
      const result = run(command, args, { cwd: app.dir });
      console.log(`${BUILD_COMMAND}: ${result.seconds.toFixed(0)} s`);
      assert.match(result.stderr, /Compiling faye-websocket-native v/);
      assert.match(result.stdout, /building the linux-x64-gnu addon from source with cargo/);
      assert.deepStrictEqual(tempBuilds(), before, 'the temporary cargo target directory is gone');
      const modules = path.join(app.dir, 'node_modules');
      assert.deepStrictEqual(
        filesNamed(modules, (e) => e.name === 'target' || e.name.endsWith('.node')),
        [path.join(modules, 'faye-websocket-native', ADDON)]
      );
      console.log(
        `from-source install: ${size(du(path.join(modules, 'faye-websocket-native')))} in node_modules/faye-websocket-native`
      );
      assert.deepStrictEqual(loadedAddons(app.dir, 'faye-websocket-native'), [
        path.join(modules, 'faye-websocket-native', ADDON),
      ]);
      const server = await startEchoServer(app.dir);
      try {
        assert.deepStrictEqual(await echo(`ws://127.0.0.1:${server.port}/`, ['built here']), ['built here']);
      } finally {
        server.child.kill();
      }
    });
  });
});
