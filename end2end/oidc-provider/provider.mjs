// A second, independent OpenID Connect provider for the black-box tests: panva's certified
// `oidc-provider`, configured for one confidential client (code flow, PKCE S256,
// client_secret_basic, RP-initiated logout) on http://127.0.0.1. It exists so that the
// dashboard's sign-in is proven against someone else's provider, not only our simulator.
// Version 8.x: the last line whose runtime check accepts Node 20 (9.x asks for Node 22).
//
//   node provider.mjs --port 0 --client-id ID --client-secret SECRET \
//     --redirect-uri URI [--redirect-uri …] [--post-logout-redirect-uri URI …]
//
// When ready it prints one JSON line on stdout: {"issuer":"http://127.0.0.1:PORT","port":PORT}.
// It exits on SIGTERM/SIGINT and when its stdin closes (the test that started it is gone), so
// run it by hand with an open stdin, e.g. `node provider.mjs … < <(sleep 1d)`.
//
// Sign-in needs no password. The interaction pages answer JSON, not HTML:
//   GET  /interaction/UID -> {"uid","prompt":"login"|"consent","submit":"/interaction/UID"}
//   POST /interaction/UID (form: user=NAME&roles=A,B) -> 303 back into the provider
// The login step signs in NAME with those app roles; the consent step grants what was asked.
// A test-only control route on the same port:
//   POST /__test/rotate -> {"kid"}: a key rollover after the overlap: a new signing key (new
//                          kid) is the only key in the JWKS and signs every ID token from then on.

import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

// oidc-provider prints its notices with console.info; stdout carries only the ready line.
console.info = (...args) => console.error(...args);

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    'post-logout-redirect-uri': { type: 'string', multiple: true, default: [] },
  },
});
for (const required of ['client-id', 'client-secret', 'redirect-uri']) {
  if (!args[required]) {
    console.error(`provider.mjs: --${required} is required`);
    process.exit(2);
  }
}

let keyCounter = 0;
/** A fresh RS256 signing key (private JWK) with its own kid. */
function newSigningKey() {
  keyCounter += 1;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `k${keyCounter}-${randomBytes(4).toString('hex')}`;
  return { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
}

// Users signed in so far, by subject; they outlive a rotation (a new Provider instance).
const accounts = new Map();
/** A stable, UUID-shaped subject per user name (the dashboard keys jobs by it). */
function subjectOf(user) {
  const h = createHash('sha256').update(user).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

// Shared by every instance, so that cookies set before a rotation still read after it.
const cookieKeys = [randomBytes(32).toString('base64url')];

// The provider's state (sessions, interactions, codes, grants), in this process only and shared
// by every instance. Our own so that the package does not warn about its quick-start adapter.
const store = new Map();
class MapAdapter {
  constructor(model) { this.model = model; }

  key(id) { return `${this.model}:${id}`; }

  async upsert(id, payload, expiresIn) {
    const expires = expiresIn ? Date.now() + expiresIn * 1000 : Infinity;
    store.set(this.key(id), { payload, expires });
    if (payload.uid) store.set(`${this.model}:uid:${payload.uid}`, { payload: id, expires });
    if (payload.grantId) {
      const ids = store.get(`byGrant:${payload.grantId}`)?.payload ?? [];
      store.set(`byGrant:${payload.grantId}`, { payload: [...ids, this.key(id)], expires: Infinity });
    }
  }

  async find(id) {
    const entry = store.get(this.key(id));
    if (!entry || entry.expires < Date.now()) return undefined;
    return entry.payload;
  }

  async findByUid(uid) {
    const id = await this.find(`uid:${uid}`);
    return id ? this.find(id) : undefined;
  }

  async findByUserCode() { return undefined; }

  async consume(id) {
    const payload = await this.find(id);
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) { store.delete(this.key(id)); }

  async revokeByGrantId(grantId) {
    for (const key of store.get(`byGrant:${grantId}`)?.payload ?? []) store.delete(key);
    store.delete(`byGrant:${grantId}`);
  }
}

function makeProvider(issuer, signingKey) {
  const provider = new Provider(issuer, {
    clients: [{
      client_id: args['client-id'],
      client_secret: args['client-secret'],
      redirect_uris: args['redirect-uri'],
      post_logout_redirect_uris: args['post-logout-redirect-uri'],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    }],
    adapter: MapAdapter,
    jwks: { keys: [signingKey] },
    cookies: { keys: cookieKeys },
    // `roles` rides with `profile`, like Entra's app roles in its ID tokens.
    claims: { openid: ['sub'], profile: ['name', 'roles'] },
    // By default claims of requested scopes go to userinfo only when an access token is
    // issued; the dashboard reads `name` and `roles` from the ID token.
    conformIdTokenClaims: false,
    async findAccount(ctx, sub) {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        async claims() {
          return account.roles.length
            ? { sub, name: account.name, roles: account.roles }
            : { sub, name: account.name };
        },
      };
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = `<!DOCTYPE html><title>Sign out</title>${form}`
            + '<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>';
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.body = '<!DOCTYPE html><title>Signed out</title><p>Signed out.</p>';
        },
      },
    },
    pkce: { methods: ['S256'], required: () => true },
    // Set explicitly so the provider does not warn about its defaults on every run.
    ttl: {
      AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600,
      Interaction: 600, Session: 3600, Grant: 3600,
    },
    renderError: async (ctx, out) => {
      ctx.type = 'json';
      ctx.body = out;
    },
  });
  // Client mistakes the test should see (a wrong redirect URI, a bad secret…) on stderr.
  for (const event of ['server_error', 'authorization.error', 'grant.error', 'end_session.error']) {
    provider.on(event, (ctx, err) => {
      console.error(`oidc-provider ${event}: ${err.error ?? err.name}: ${err.error_description ?? err.message}`);
    });
  }
  return provider;
}

function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

function sendJson(res, status, value) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(value));
}

/** Our interaction pages (no password): the login names the user and roles, consent grants. */
async function interaction(current, req, res, uid) {
  const details = await current.provider.interactionDetails(req, res);
  if (details.uid !== uid) {
    sendJson(res, 400, { error: 'this interaction is not the one the cookie names' });
    return;
  }
  const { prompt, params, session, grantId } = details;
  if (req.method === 'GET') {
    sendJson(res, 200, { uid, prompt: prompt.name, client_id: params.client_id, submit: `/interaction/${uid}` });
    return;
  }
  const form = await readForm(req);
  if (prompt.name === 'login') {
    const user = form.get('user');
    if (!user) {
      sendJson(res, 400, { error: 'the login needs a user' });
      return;
    }
    const roles = (form.get('roles') ?? '').split(',').map((r) => r.trim()).filter(Boolean);
    const sub = subjectOf(user);
    accounts.set(sub, { name: user, roles });
    await current.provider.interactionFinished(req, res, { login: { accountId: sub } }, {
      mergeWithLastSubmission: false,
    });
    return;
  }
  if (prompt.name === 'consent') {
    const grant = grantId
      ? await current.provider.Grant.find(grantId)
      : new current.provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const missing = prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(resource, scopes.join(' '));
    }
    await current.provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, {
      mergeWithLastSubmission: true,
    });
    return;
  }
  sendJson(res, 501, { error: `prompt ${prompt.name} is not handled here` });
}

// The provider in service; a rotation replaces it (same issuer, port and cookie keys).
const current = { provider: undefined, handle: undefined, key: undefined };
function install(issuer, key) {
  current.provider = makeProvider(issuer, key);
  current.handle = current.provider.callback();
  current.key = key;
}

const server = createServer((req, res) => {
  const path = new URL(req.url, 'http://x').pathname;
  const answer = (async () => {
    if (req.method === 'POST' && path === '/__test/rotate') {
      install(current.provider.issuer, newSigningKey());
      sendJson(res, 200, { kid: current.key.kid });
    } else if (/^\/interaction\/[^/]+$/.test(path) && ['GET', 'POST'].includes(req.method)) {
      await interaction(current, req, res, path.split('/')[2]);
    } else {
      current.handle(req, res);
    }
  })();
  answer.catch((err) => {
    console.error(`provider.mjs: ${req.method} ${path}: ${err.stack ?? err}`);
    if (!res.headersSent) sendJson(res, 400, { error: err.name, error_description: err.message });
    else res.end();
  });
});

function stop() {
  server.close();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();

server.listen(Number(args.port), '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  install(issuer, newSigningKey());
  process.stdout.write(`${JSON.stringify({ issuer, port })}\n`);
});
