// Checks a ClaimChain event proof against a trust policy entirely in this page: SHA-256 and
// Ed25519 come from WebCrypto, nothing is fetched once the page is loaded. An independent
// implementation of the formats (RFC 8785 JSON, RFC 9162 inclusion, C2SP signed-note,
// tlog-checkpoint and cosignature/v1, the policy file of the README), so that checking it does
// not mean trusting the server's code.
/* global document, crypto, TextEncoder, atob, btoa, FileReader */

const encoder = new TextEncoder();
const policyWitnessesMax = 64;
const proofHashesMax = 128;

class Refusal extends Error {}

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function equalBytes(left, right) {
  return left.length === right.length && left.every((byte, index) => byte === right[index]);
}

/** Standard padded base64 in its one canonical spelling, else undefined. */
function base64Decode(text) {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text))
    return undefined;
  const bytes = Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
  return btoa(String.fromCharCode(...bytes)) === text ? bytes : undefined;
}

function hexDecode(text) {
  if (typeof text !== 'string' || !/^([0-9a-f]{2})*$/.test(text)) return undefined;
  return Uint8Array.from(text.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

function hexOf(bytes) {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** A proof hash: lowercase hex or base64 of 32 bytes. */
function hashOf(text) {
  const bytes = typeof text === 'string' ? (hexDecode(text) ?? base64Decode(text)) : undefined;
  return bytes && bytes.length === 32 ? bytes : undefined;
}

/** RFC 8785: keys sorted by UTF-16 code units, ECMAScript serialization of strings and numbers. */
function canonicalJson(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value))
    throw new Refusal('a number is not finite');
  return JSON.stringify(value);
}

async function ed25519Verify(publicKey, message, signature) {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    const key = await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, [
      'verify',
    ]);
    return await crypto.subtle.verify({ name: 'Ed25519' }, key, signature, message);
  } catch {
    return false;
  }
}

async function keyIdOf(name, type, publicKey) {
  const digest = await sha256(concat(encoder.encode(name), Uint8Array.of(0x0a, type), publicKey));
  return hexOf(digest.slice(0, 4));
}

/** A vkey "name+hexID+base64(type||key)", its ID checked against its name and key. */
async function parseVerifierKey(text, type, where) {
  // The name and ID end at the first two '+'; the base64 key may hold '+' itself.
  const match = /^([^+]+)\+([^+]*)\+(.*)$/s.exec(text);
  const parts = match ? match.slice(1) : [];
  const bytes = match ? base64Decode(parts[2]) : undefined;
  if (!bytes || bytes.length !== 33 || !/^[0-9a-f]{8}$/.test(parts[1]) || parts[0] === '') {
    throw new Refusal(`${where}: not a verifier key (name+id+base64 key)`);
  }
  if (bytes[0] !== type) throw new Refusal(`${where}: the key must be of type 0x0${type}`);
  const publicKey = bytes.slice(1);
  if ((await keyIdOf(parts[0], type, publicKey)) !== parts[1]) {
    throw new Refusal(`${where}: the key ID does not match the key`);
  }
  return { name: parts[0], id: parts[1], publicKey };
}

/** The policy file: log <vkey> / witness <name> <vkey> [url] / quorum <k>, # comments. */
export async function parsePolicy(text) {
  let log;
  let quorum;
  const witnesses = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index].replace(/#.*$/, '').trim();
    if (line === '') continue;
    const where = `policy line ${index + 1}`;
    const [directive, ...fields] = line.split(/\s+/);
    if (directive === 'log' && fields.length === 1 && !log) {
      log = await parseVerifierKey(fields[0], 0x01, where);
    } else if (directive === 'witness' && (fields.length === 2 || fields.length === 3)) {
      if (witnesses.some((each) => each.label === fields[0]))
        throw new Refusal(`${where}: witness named twice`);
      witnesses.push({ label: fields[0], ...(await parseVerifierKey(fields[1], 0x04, where)) });
      if (witnesses.length > policyWitnessesMax) throw new Refusal(`${where}: too many witnesses`);
    } else if (directive === 'quorum' && fields.length === 1 && quorum === undefined) {
      if (!/^(0|[1-9][0-9]{0,2})$/.test(fields[0]))
        throw new Refusal(`${where}: quorum is a whole number`);
      quorum = Number(fields[0]);
    } else {
      throw new Refusal(
        `${where}: expected "log <vkey>", "witness <name> <vkey> [url]" or "quorum <k>" (each once)`,
      );
    }
  }
  if (!log) throw new Refusal('the policy has no "log <vkey>" line');
  if (quorum === undefined) throw new Refusal('the policy has no "quorum <k>" line');
  if (quorum > witnesses.length)
    throw new Refusal(`quorum ${quorum} is more than the ${witnesses.length} witnesses named`);
  return { log, witnesses, quorum };
}

/** A signed note: text, blank line, "— name base64(keyID||signature)" lines. */
function parseNote(note) {
  if (typeof note !== 'string' || !note.endsWith('\n'))
    throw new Refusal('the checkpoint is not a signed note');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new Refusal('the checkpoint note has no signatures');
  const text = note.slice(0, split + 1);
  const signatures = note
    .slice(split + 2, -1)
    .split('\n')
    .map((line) => {
      const match = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/u.exec(line);
      const bytes = match ? base64Decode(match[2]) : undefined;
      if (!bytes || bytes.length < 5) throw new Refusal('a checkpoint signature line is malformed');
      return { name: match[1], id: hexOf(bytes.slice(0, 4)), signature: bytes.slice(4) };
    });
  const lines = text.slice(0, -1).split('\n');
  const root = lines.length >= 3 ? base64Decode(lines[2]) : undefined;
  if (!/^(0|[1-9][0-9]{0,15})$/.test(lines[1] ?? '') || !root || root.length !== 32) {
    throw new Refusal('the checkpoint body is not origin, tree size, base64 root hash');
  }
  return { text, signatures, origin: lines[0], treeSize: Number(lines[1]), rootHash: root };
}

async function cosignedBy(note, witness) {
  for (const line of note.signatures) {
    if (line.name !== witness.name || line.id !== witness.id || line.signature.length !== 72)
      continue;
    const time = new DataView(line.signature.buffer, line.signature.byteOffset).getBigUint64(0);
    const message = encoder.encode(`cosignature/v1\ntime ${time}\n${note.text}`);
    if (await ed25519Verify(witness.publicKey, message, line.signature.slice(8))) return true;
  }
  return false;
}

async function nodeHash(left, right) {
  return sha256(concat(Uint8Array.of(0x01), left, right));
}

/** RFC 9162 section 2.1.3.2: the root the inclusion proof leads to, or undefined. */
async function rootFromInclusion(leafHash, index, treeSize, proof) {
  if (
    !Number.isSafeInteger(index) ||
    !Number.isSafeInteger(treeSize) ||
    index < 0 ||
    index >= treeSize
  )
    return undefined;
  let fn = index;
  let sn = treeSize - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : undefined;
}

/** The transparency-tree part of a proof file (GET /v1/ledger/events/:id/proof). */
function treeProofOf(proof) {
  const tree = proof?.tree;
  if (!tree || typeof tree !== 'object') throw new Refusal('the proof file has no "tree" part');
  const path = Array.isArray(tree.inclusionProof) ? tree.inclusionProof.map(hashOf) : undefined;
  if (!path || path.length > proofHashesMax || path.some((hash) => !hash)) {
    throw new Refusal('tree.inclusionProof is not a list of hashes');
  }
  return { leafIndex: tree.leafIndex, treeSize: tree.treeSize, path, checkpoint: tree.checkpoint };
}

/**
 * The verdict on a proof file and a policy: { ok, reason, steps }, each step a checked statement.
 * Never throws.
 */
export async function verifyProof(proofText, policyText) {
  const steps = [];
  const pass = (statement) => steps.push({ ok: true, statement });
  try {
    const policy = await parsePolicy(policyText);
    pass(
      `policy: log ${policy.log.name}, ${policy.witnesses.length} witnesses, quorum ${policy.quorum}`,
    );
    let proof;
    try {
      proof = JSON.parse(proofText);
    } catch {
      throw new Refusal('the proof file is not JSON');
    }
    const tree = treeProofOf(proof);
    const note = parseNote(tree.checkpoint);
    if (note.origin !== policy.log.name) {
      throw new Refusal(
        `the checkpoint is of log "${note.origin}", the policy's log is "${policy.log.name}"`,
      );
    }
    const logLines = note.signatures.filter(
      (line) => line.name === policy.log.name && line.id === policy.log.id,
    );
    const message = encoder.encode(note.text);
    let logSigned = logLines.length > 0;
    for (const line of logLines)
      logSigned &&= await ed25519Verify(policy.log.publicKey, message, line.signature);
    if (!logSigned)
      throw new Refusal("the checkpoint does not carry a valid signature by the policy's log");
    pass(`checkpoint of size ${note.treeSize} signed by the log ${policy.log.name}`);
    const cosigners = [];
    for (const witness of policy.witnesses)
      if (await cosignedBy(note, witness)) cosigners.push(witness.label);
    if (cosigners.length < policy.quorum) {
      throw new Refusal(
        `${cosigners.length} of the policy's witnesses cosigned the checkpoint (${cosigners.join(', ') || 'none'}); the quorum is ${policy.quorum}`,
      );
    }
    pass(
      `cosigned by ${cosigners.length} witnesses (${cosigners.join(', ')}), quorum ${policy.quorum}`,
    );
    if (tree.treeSize !== note.treeSize) {
      throw new Refusal(
        `tree.treeSize ${tree.treeSize} is not the checkpoint's size ${note.treeSize}`,
      );
    }
    if (proof.payload !== undefined) {
      const payloadHash = hexOf(await sha256(encoder.encode(canonicalJson(proof.payload))));
      if (payloadHash !== proof.envelope?.payloadHash)
        throw new Refusal('the payload does not hash to envelope.payloadHash');
      pass('payload hashes to envelope.payloadHash');
    }
    const leafHash = await sha256(
      concat(Uint8Array.of(0x00), encoder.encode(canonicalJson(proof.envelope))),
    );
    const root = await rootFromInclusion(leafHash, tree.leafIndex, tree.treeSize, tree.path);
    if (!root || !equalBytes(root, note.rootHash)) {
      throw new Refusal(
        `the event (leaf ${hexOf(leafHash)}) at index ${tree.leafIndex} does not lead to the checkpoint's root: the event or the proof was altered`,
      );
    }
    pass(
      `event ${proof.envelope.id} is leaf ${tree.leafIndex} of the tree of size ${tree.treeSize}`,
    );
    return { ok: true, reason: 'the event is in the log, as the policy requires', steps };
  } catch (error) {
    const reason =
      error instanceof Refusal ? error.message : `cannot check: ${error?.message ?? error}`;
    steps.push({ ok: false, statement: reason });
    return { ok: false, reason, steps };
  }
}

function readInto(fileInput, textarea) {
  fileInput.addEventListener('change', () => {
    const file = fileInput.files?.[0];
    if (!file) return;
    const reader = new FileReader();
    reader.onload = () => (textarea.value = String(reader.result));
    reader.readAsText(file);
  });
  textarea.addEventListener('dragover', (event) => event.preventDefault());
  textarea.addEventListener('drop', (event) => {
    event.preventDefault();
    const file = event.dataTransfer?.files?.[0];
    if (file) void file.text().then((text) => (textarea.value = text));
  });
}

function start() {
  const proof = document.getElementById('proof');
  const policy = document.getElementById('policy');
  readInto(document.getElementById('proof-file'), proof);
  readInto(document.getElementById('policy-file'), policy);
  document.getElementById('verify').addEventListener('click', async () => {
    const verdict = document.getElementById('verdict');
    verdict.textContent = 'checking…';
    verdict.className = '';
    const result = await verifyProof(proof.value, policy.value);
    verdict.className = result.ok ? 'ok' : 'fail';
    verdict.textContent = `${result.ok ? 'VALID' : 'REJECTED'}: ${result.reason}`;
    const list = document.getElementById('steps');
    list.replaceChildren(
      ...result.steps.map((step) => {
        const item = document.createElement('li');
        item.textContent = `${step.ok ? '✓' : '✗'} ${step.statement}`;
        return item;
      }),
    );
  });
}

if (typeof document !== 'undefined') start();
