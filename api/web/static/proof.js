// One event's inclusion proof checked in this browser (RFC 9162 §2.1.3.2), against the root in the
// latest signed checkpoint, whose Ed25519 signature is checked with the verifier key on the page
// (C2SP signed note). The hashing is done here, not asked of the server. The algorithm is ledger/audit/proof_check.py's (transparency-dev's verify.go).
// Without JavaScript the form still answers: it asks the API for the proof, to check offline.
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

  window.ledgerProof = { sha256: sha256, rootFromInclusion: rootFromInclusion, parseCheckpoint: parseCheckpoint,
                         check: check, toHex: toHex };

  var form = document.getElementById("proof-form");
  if (!form) return;
  var out = document.getElementById("proof-result");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var index = form.elements.index.value.trim(), says = form.dataset;
    out.className = "proof-result";
    out.textContent = says.working;
    check(index, document.getElementById("public-key").textContent).then(function (r) {
      var words = r.included ? says.included : says.excluded;
      var signed = r.signed === true ? says.signed : r.signed === false ? says.unsigned : says.unchecked;
      out.className = "proof-result " + (r.included && r.signed !== false ? "good" : "bad");
      out.dataset.included = String(r.included);
      out.dataset.signed = String(r.signed);
      out.textContent = words.replace("{index}", index).replace("{size}", r.size) + " " + signed +
                        " (" + says.rootLabel + " " + r.root + ")";
    }).catch(function (error) {
      out.className = "proof-result bad";
      out.dataset.included = "false";
      out.textContent = says.failed + " " + error.message;
    });
  });
})();
