// One event's inclusion proof checked in this browser (RFC 9162 §2.1.3.2), against the root in the
// latest signed checkpoint, whose Ed25519 signature is checked with the verifier key on the page
// (C2SP signed note). The hashing is done here, not asked of the server. The algorithm is ledger/audit/proof_check.py's (transparency-dev's verify.go).
// Without JavaScript the form still answers: it asks the API for the proof, to check offline.
// On an event's own page (/web/audit/leaves/N) the check starts from the event itself: its leaf
// bytes are built here from the stored fields (ledger/audit/leaf.py's layout, v1), hashed, and
// carried up the proof path to the root of the signed checkpoint the page holds.
(function () {
  "use strict";
  // SHA-256 is the browser's own (WebCrypto), as is the Ed25519 check: both need a secure context
  // (https, or this machine's localhost). Elsewhere the page says so and the offline commands check.
  async function sha256(data) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  }

  function concat(parts) {
    var total = 0, at = 0;
    parts.forEach(function (p) { total += p.length; });
    var out = new Uint8Array(total);
    parts.forEach(function (p) { out.set(p, at); at += p.length; });
    return out;
  }

  // RFC 9162 §2.1.1: interior nodes are SHA-256(0x01 || left || right).
  async function hashChildren(left, right) { return sha256(concat([Uint8Array.of(1), left, right])); }

  function fromBase64(text) {
    var raw = atob(text), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function toHex(bytes) {
    return Array.prototype.map.call(bytes, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }

  function same(a, b) {
    if (a.length !== b.length) return false;
    var diff = 0;
    for (var i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
    return diff === 0;
  }

  function bitLength(n) { var bits = 0; while (n > 0n) { bits++; n >>= 1n; } return bits; }
  function bitCount(n) { var bits = 0; while (n > 0n) { bits += Number(n & 1n); n >>= 1n; } return bits; }

  // The root the proof implies for the leaf at `index` of a tree of `size` leaves.
  async function rootFromInclusion(leafHash, index, size, proof) {
    var i = BigInt(index), n = BigInt(size);
    if (i < 0n || i >= n) throw new Error("leaf index " + index + " is not below tree size " + size);
    if (leafHash.length !== 32) throw new Error("the leaf hash is not 32 bytes");
    var inner = bitLength(i ^ (n - 1n)), border = bitCount(i >> BigInt(inner));
    if (proof.length !== inner + border) {
      throw new Error("the proof has " + proof.length + " hashes, want " + (inner + border));
    }
    var node = leafHash;
    for (var level = 0; level < proof.length; level++) {
      var sibling = proof[level];
      if (sibling.length !== 32) throw new Error("a proof hash is not 32 bytes");
      if (level >= inner || (i >> BigInt(level)) & 1n) node = await hashChildren(sibling, node);
      else node = await hashChildren(node, sibling);
    }
    return node;
  }

  // RFC 9162 §2.1.1: a leaf hash is SHA-256(0x00 || leaf bytes).
  async function leafHash(bytes) { return sha256(concat([Uint8Array.of(0), bytes])); }

  function u64(value) {
    // JSON numbers are doubles here: beyond 2**53 they are no longer the number the server sent.
    if (typeof value === "number" && !Number.isSafeInteger(value)) {
      throw new Error("a number of the leaf (" + value + ") is beyond what this browser reads exactly");
    }
    var n = BigInt(value), out = new Uint8Array(8);
    if (n < 0n || n >= (1n << 64n)) throw new Error("a number of the leaf is out of range");
    for (var i = 7; i >= 0; i--) { out[i] = Number(n & 255n); n >>= 8n; }
    return out;
  }

  function lengthPrefixed(bytes) {
    var n = bytes.length;
    return concat([Uint8Array.of((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255), bytes]);
  }

  function uuidBytes(text) {
    var hex = text.replace(/-/g, "");
    if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error("the event's record id is not a UUID");
    var out = new Uint8Array(16);
    for (var i = 0; i < 16; i++) out[i] = parseInt(hex.substr(2 * i, 2), 16);
    return out;
  }

  // The leaf bytes of one stored event (the mirror's and /audit/leaves/N's record), v1.
  function leafBytes(record) {
    var utf8 = new TextEncoder();
    if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$/.test(record.recorded_at)) {
      throw new Error("the event's recording time is not canonical");
    }
    return concat([utf8.encode("incident-ledger/leaf/v1\n"), u64(record.position), uuidBytes(record.originator_id),
                   u64(record.version), lengthPrefixed(utf8.encode(record.topic)),
                   lengthPrefixed(fromBase64(record.state)), lengthPrefixed(utf8.encode(record.recorded_at))]);
  }

  // A C2SP checkpoint note: its signed text (origin, size, root) and its signature lines.
  function parseCheckpoint(note) {
    var split = note.lastIndexOf("\n\n");
    if (split < 0) throw new Error("the checkpoint is not a signed note");
    var text = note.slice(0, split + 1), lines = text.split("\n");
    var signatures = note.slice(split + 2).split("\n").filter(Boolean).map(function (line) {
      var parts = line.replace(/^\u2014 /, "").split(" ");
      return { name: parts[0], blob: fromBase64(parts[1] || "") };
    });
    return { text: text, size: Number(lines[1]), root: fromBase64(lines[2]), signatures: signatures };
  }

  // C2SP verifier key "<name>+<key id, hex>+<base64(0x01 || Ed25519 public key)>".
  async function signatureChecks(checkpoint, verifierKey) {
    // The key's base64 may hold "+" too: the name and the id end at the first two.
    var vkey = verifierKey.trim(), first = vkey.indexOf("+"), second = vkey.indexOf("+", first + 1);
    if (first < 0 || second < 0) throw new Error("the verifier key is malformed");
    var parts = [vkey.slice(0, first), vkey.slice(first + 1, second)], raw = fromBase64(vkey.slice(second + 1));
    if (raw[0] !== 1 || raw.length !== 33) throw new Error("the verifier key is malformed");
    var key;
    try {
      key = await crypto.subtle.importKey("raw", raw.slice(1), { name: "Ed25519" }, false, ["verify"]);
    } catch (e) {
      return null; // no Ed25519 in this browser: the offline commands check the signature
    }
    var mine = checkpoint.signatures.filter(function (s) {
      return s.name === parts[0] && toHex(s.blob.slice(0, 4)) === parts[1];
    });
    if (!mine.length) return false;
    var text = new TextEncoder().encode(checkpoint.text);
    for (var i = 0; i < mine.length; i++) {
      if (!(await crypto.subtle.verify({ name: "Ed25519" }, key, mine[i].blob.slice(4), text))) return false;
    }
    return true;
  }

  async function check(index, verifierKey) {
    if (!window.isSecureContext || !window.crypto || !crypto.subtle) {
      throw new Error("this browser checks proofs only over https (or on localhost)");
    }
    var latest = await fetch("/audit/checkpoints/latest", { credentials: "omit" });
    if (!latest.ok) throw new Error("no signed checkpoint to check against");
    var checkpoint = parseCheckpoint((await latest.json()).note);
    var answer = await fetch("/audit/proofs/inclusion?index=" + encodeURIComponent(index) + "&size=" +
                             checkpoint.size, { credentials: "omit" });
    var proof = await answer.json();
    if (!answer.ok) throw new Error(proof.detail || "no proof");
    var root = await rootFromInclusion(fromBase64(proof.leaf_hash), proof.index, checkpoint.size,
                                 proof.proof.map(fromBase64));
    return { included: same(root, checkpoint.root), signed: await signatureChecks(checkpoint, verifierKey),
             size: checkpoint.size, root: toHex(root), leaf: toHex(fromBase64(proof.leaf_hash)) };
  }

  // One event's answer (/audit/leaves/N, as the page holds it): the leaf hash from its bytes, the
  // root from the path, against the root and signature of the checkpoint it came with.
  async function checkLeaf(data, verifierKey) {
    if (!window.isSecureContext || !window.crypto || !crypto.subtle) {
      throw new Error("this browser checks proofs only over https (or on localhost)");
    }
    var checkpoint = parseCheckpoint(data.checkpoint);
    var leaf = await leafHash(leafBytes(data.record));
    var root = await rootFromInclusion(leaf, data.record.position, checkpoint.size, data.proof.map(fromBase64));
    return { included: same(root, checkpoint.root), signed: await signatureChecks(checkpoint, verifierKey),
             size: checkpoint.size, root: toHex(root), leaf: toHex(leaf) };
  }

  window.ledgerProof = { sha256: sha256, rootFromInclusion: rootFromInclusion, parseCheckpoint: parseCheckpoint,
                         check: check, toHex: toHex, leafBytes: leafBytes, leafHash: leafHash, checkLeaf: checkLeaf,
                         fromBase64: fromBase64 };

  function told(out, says, r, index) {
    var words = r.included ? says.included : says.excluded;
    var signed = r.signed === true ? says.signed : r.signed === false ? says.unsigned : says.unchecked;
    var pass = r.included && r.signed !== false;
    out.className = "proof-result " + (pass ? "good" : "bad");
    out.dataset.included = String(r.included);
    out.dataset.signed = String(r.signed);
    out.dataset.pass = String(pass);
    out.textContent = (pass ? says.pass : says.fail) + " " + words.replace("{index}", index).replace("{size}", r.size) +
                      " " + signed + " (" + says.rootLabel + " " + r.root + ")";
  }

  function failed(out, says, error) {
    out.className = "proof-result bad";
    out.dataset.included = "false";
    out.dataset.pass = "false";
    out.textContent = says.fail + " " + says.failed + " " + error.message;
  }

  var leafButton = document.getElementById("leaf-check");
  if (leafButton) {
    var leafOut = document.getElementById("proof-result"), leafSays = leafButton.dataset;
    leafButton.addEventListener("click", function () {
      leafOut.className = "proof-result";
      leafOut.textContent = leafSays.working;
      // Read at each click: what the page holds now is what is checked.
      Promise.resolve().then(function () {
        var data = JSON.parse(document.getElementById("leaf-data").textContent);
        return checkLeaf(data, document.getElementById("public-key").textContent).then(function (r) {
          told(leafOut, leafSays, r, data.record.position);
        });
      }).catch(function (error) { failed(leafOut, leafSays, error); });
    });
  }

  var form = document.getElementById("proof-form");
  if (!form) return;
  var out = document.getElementById("proof-result");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var index = form.elements.index.value.trim(), says = form.dataset;
    out.className = "proof-result";
    out.textContent = says.working;
    check(index, document.getElementById("public-key").textContent).then(function (r) {
      told(out, says, r, index);
    }).catch(function (error) { failed(out, says, error); });
  });
})();
