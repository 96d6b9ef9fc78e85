// One event's inclusion proof checked in this browser (RFC 9162 §2.1.3.2), against the root in the
// latest signed checkpoint, whose Ed25519 signature is checked with the verifier key on the page
// (C2SP signed note). The hashing is here, not asked of the server: SHA-256 (FIPS 180-4) is written
// out so the check runs even where the browser offers no crypto.subtle (plain http); only the
// signature needs it. The algorithm is ledger/audit/proof_check.py's (transparency-dev's verify.go).
// Without JavaScript the form still answers: it asks the API for the proof, to check offline.
(function () {
  "use strict";
  var K = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2];

  function ror(x, n) { return (x >>> n) | (x << (32 - n)); }

  function sha256(data) {
    var h = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    var length = data.length, blocks = Math.ceil((length + 9) / 64);
    var m = new Uint8Array(blocks * 64);
    m.set(data);
    m[length] = 0x80;
    var view = new DataView(m.buffer), bits = length * 8;
    view.setUint32(m.length - 8, Math.floor(bits / 0x100000000));
    view.setUint32(m.length - 4, bits >>> 0);
    var w = new Array(64);
    for (var off = 0; off < m.length; off += 64) {
      var i;
      for (i = 0; i < 16; i++) w[i] = view.getUint32(off + 4 * i);
      for (i = 16; i < 64; i++) {
        var s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >>> 3);
        var s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >>> 10);
        w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
      }
      var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
      for (i = 0; i < 64; i++) {
        var t1 = (k + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
        var t2 = ((ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        k = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      h[0] = (h[0] + a) | 0; h[1] = (h[1] + b) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + d) | 0;
      h[4] = (h[4] + e) | 0; h[5] = (h[5] + f) | 0; h[6] = (h[6] + g) | 0; h[7] = (h[7] + k) | 0;
    }
    var out = new Uint8Array(32), outView = new DataView(out.buffer);
    for (var j = 0; j < 8; j++) outView.setUint32(4 * j, h[j] >>> 0);
    return out;
  }

  function concat(parts) {
    var total = 0, at = 0;
    parts.forEach(function (p) { total += p.length; });
    var out = new Uint8Array(total);
    parts.forEach(function (p) { out.set(p, at); at += p.length; });
    return out;
  }

  // RFC 9162 §2.1.1: interior nodes are SHA-256(0x01 || left || right).
  function hashChildren(left, right) { return sha256(concat([Uint8Array.of(1), left, right])); }

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
  function rootFromInclusion(leafHash, index, size, proof) {
    var i = BigInt(index), n = BigInt(size);
    if (i < 0n || i >= n) throw new Error("leaf index " + index + " is not below tree size " + size);
    if (leafHash.length !== 32) throw new Error("the leaf hash is not 32 bytes");
    var inner = bitLength(i ^ (n - 1n)), border = bitCount(i >> BigInt(inner));
    if (proof.length !== inner + border) {
      throw new Error("the proof has " + proof.length + " hashes, want " + (inner + border));
    }
    var node = leafHash;
    proof.forEach(function (sibling, level) {
      if (sibling.length !== 32) throw new Error("a proof hash is not 32 bytes");
      if (level >= inner || (i >> BigInt(level)) & 1n) node = hashChildren(sibling, node);
      else node = hashChildren(node, sibling);
    });
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
    if (!window.crypto || !crypto.subtle) return null;
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
    var latest = await fetch("/audit/checkpoints/latest", { credentials: "omit" });
    if (!latest.ok) throw new Error("no signed checkpoint to check against");
    var checkpoint = parseCheckpoint((await latest.json()).note);
    var answer = await fetch("/audit/proofs/inclusion?index=" + encodeURIComponent(index) + "&size=" +
                             checkpoint.size, { credentials: "omit" });
    var proof = await answer.json();
    if (!answer.ok) throw new Error(proof.detail || "no proof");
    var root = rootFromInclusion(fromBase64(proof.leaf_hash), proof.index, checkpoint.size,
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
