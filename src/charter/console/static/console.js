// The Charter console's only script: buttons -> wallet (EIP-1193) or development key -> the chain,
// and a quiet refresh while the page is open. The server prepares and confirms; nothing here says
// "done" before the server read the effect back from the chain.
"use strict";

const meta = (name) => document.querySelector(`meta[name="${name}"]`).content;
const TOKEN = meta("charter-token");
const DEV = meta("charter-mode") === "dev";
const PRINCIPAL = meta("charter-principal");
const REFUSED = 4001; // EIP-1193: the user rejected the request

function notice(text, kind) {
  const box = document.getElementById("notice");
  box.textContent = text;
  box.className = kind || "";
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Charter-Token": TOKEN },
    body: JSON.stringify(body),
  });
  const data = await response.json();
  if (!response.ok) {
    const error = new Error(data.message || response.statusText);
    error.server = data;
    throw error;
  }
  return data;
}

function wallet() {
  if (!window.ethereum) {
    throw new Error("no wallet in this browser (window.ethereum): install one, or start the console with a development key");
  }
  return window.ethereum;
}

async function walletAccount() {
  const accounts = await wallet().request({ method: "eth_requestAccounts" });
  if (!accounts || !accounts.length) throw new Error("the wallet gave no account");
  const chosen = accounts[0];
  if (chosen.toLowerCase() !== PRINCIPAL.toLowerCase()) {
    throw new Error(`the wallet's account is ${chosen}, not the principal ${PRINCIPAL}: switch accounts in the wallet`);
  }
  return chosen;
}

async function onChain(chainId) {
  const hex = "0x" + Number(chainId).toString(16);
  const current = await wallet().request({ method: "eth_chainId" });
  if (parseInt(current, 16) !== Number(chainId)) {
    await wallet().request({ method: "wallet_switchEthereumChain", params: [{ chainId: hex }] });
  }
}

function refusedByWallet(error) {
  return error && (error.code === REFUSED || (error.data && error.data.code === REFUSED));
}

function actionOf(button, chainId) {
  const body = { action: button.dataset.action, chain_id: Number(chainId) };
  if (button.dataset.account) body.account = button.dataset.account;
  if (button.dataset.grant) body.grant_hash = button.dataset.grant;
  if (button.dataset.agent) body.agent_id = Number(button.dataset.agent);
  return body;
}

async function runOn(button, chainId) {
  const body = actionOf(button, chainId);
  if (DEV) return post("/api/dev", body);
  const from = await walletAccount();
  const prepared = await post("/api/prepare", { ...body, from });
  notice(`asking your wallet to sign: ${prepared.label}…`, "pending");
  await onChain(chainId);
  let txHash;
  try {
    txHash = await wallet().request({ method: "eth_sendTransaction", params: [prepared.tx] });
  } catch (error) {
    if (refusedByWallet(error)) {
      const refused = new Error(`your wallet refused to sign: nothing was sent and nothing changed (${prepared.label})`);
      refused.refused = true;
      throw refused;
    }
    throw error;
  }
  notice(`sent ${txHash}; waiting for the chain to show it…`, "pending");
  return post("/api/confirm", { ...body, tx_hash: txHash });
}

async function onAction(button) {
  if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
  const chains = button.dataset.everywhere ? button.dataset.everywhere.split(",") : [button.dataset.chain];
  button.disabled = true;
  const done = [];
  try {
    for (const chainId of chains) {
      const outcome = await runOn(button, chainId);
      if (!outcome.done) throw new Error(outcome.message);
      done.push(outcome.message);
    }
    notice(done.join(" · "), "ok");
    setTimeout(() => window.location.reload(), 800);
  } catch (error) {
    const prefix = done.length ? done.join(" · ") + " · then: " : "";
    notice(prefix + (error.refused ? error.message : `not done: ${error.message}`), error.refused ? "refused" : "error");
    button.disabled = false;
  }
}

// The approval page: the grant as requested, or edited down (the server rebuilds it from the edits).
function editsOf() {
  const form = document.getElementById("edit-form");
  if (!form) return null;
  const edits = {};
  for (const input of form.querySelectorAll("[data-edit]")) {
    const changed = input.type === "checkbox" ? input.checked !== input.defaultChecked : input.value !== input.defaultValue;
    if (!changed) continue;
    const kind = input.dataset.edit;
    if (kind === "keep") (edits.remove ||= []).push(Number(input.dataset.index));
    else if (kind === "max_value") (edits.max_values ||= {})[input.dataset.index] = input.value;
    else if (kind === "cap") (edits.caps ||= {})[input.dataset.token] = input.value;
    else edits[kind] = input.value;
  }
  return Object.keys(edits).length ? edits : null;
}

function item(tag, text, className) {
  const element = document.createElement(tag);
  element.textContent = text;
  if (className) element.className = className;
  return element;
}

function showGrant(shown) {
  document.querySelector("ul.scope").replaceChildren(...shown.lines.map((line) => item("li", line)));
  document.getElementById("warnings").replaceChildren(...shown.warnings.map((w) => item("p", `Warning — ${w}`, "warn")));
  document.getElementById("typed-data").textContent = JSON.stringify(shown.typed_data);
  document.getElementById("typed-shown").textContent = JSON.stringify(shown.typed_data, null, 2);
  const edited = document.getElementById("edited");
  edited.hidden = !shown.narrowed;
  edited.textContent = shown.narrowed
    ? `Edited down (${shown.changes.join("; ")}): the agent gets grant ${shown.grant_hash} instead of the requested ${shown.requested_hash}.`
    : "";
}

async function given(request) {
  const edits = editsOf();
  if (!edits) return { edits: null, typed: JSON.parse(document.getElementById("typed-data").textContent) };
  const shown = await post("/api/approve/edit", { request, edits });
  showGrant(shown);
  return { edits, typed: shown.typed_data };
}

async function approveSign(box, request) {
  if (DEV) throw new Error("development mode signs actions, not grants: approve with a wallet or `charter grant approve URL`");
  const from = await walletAccount();
  const { edits, typed } = await given(request);
  await onChain(box.dataset.chain);
  let signature;
  try {
    signature = await wallet().request({ method: "eth_signTypedData_v4", params: [from, JSON.stringify(typed)] });
  } catch (error) {
    if (refusedByWallet(error)) {
      notice("your wallet refused to sign: the request stays pending and nothing changed", "refused");
      return null;
    }
    throw error;
  }
  return post("/api/approve/sign", { request, signature, edits });
}

async function approveIssue(box, request) {
  if (DEV) throw new Error("development mode signs actions, not grants: issue it with a wallet or `charter grant issue`");
  const from = await walletAccount();
  const { edits } = await given(request);
  const prepared = await post("/api/approve/issue-prepare", { request, edits, from });
  notice(`asking your wallet to send: ${prepared.label}…`, "pending");
  await onChain(box.dataset.chain);
  let txHash;
  try {
    txHash = await wallet().request({ method: "eth_sendTransaction", params: [prepared.tx] });
  } catch (error) {
    if (refusedByWallet(error)) {
      notice("your wallet refused to send: nothing was issued and the request stays pending", "refused");
      return null;
    }
    throw error;
  }
  notice(`sent ${txHash}; waiting for the chain to show the grant…`, "pending");
  return post("/api/approve/issue-confirm", { request, edits, tx_hash: txHash });
}

async function onApprove(mode) {
  const box = document.querySelector("[data-request]");
  const request = box.dataset.request;
  try {
    if (mode === "preview") {
      const edits = editsOf();
      if (!edits) { notice("nothing edited: the grant is as requested", "ok"); return; }
      showGrant(await post("/api/approve/edit", { request, edits }));
      notice("the edited grant is shown above: sign it or issue it, or edit it further", "ok");
      return;
    }
    let answer;
    if (mode === "refuse") answer = await post("/api/approve/refuse", { request });
    else answer = await (mode === "issue" ? approveIssue : approveSign)(box, request);
    if (answer === null) return;
    notice(answer.message, answer.done ? "ok" : "error");
    if (!answer.done) return;
    document.querySelectorAll("#approve-sign, #approve-issue, #approve-refuse, #approve-preview").forEach((b) => { b.disabled = true; });
    document.getElementById("request-status").textContent = mode === "refuse" ? "refused" : "approved";
  } catch (error) {
    notice(`not done: ${error.message}`, "error");
  }
}

async function watch() {
  const badge = document.getElementById("freshness");
  try {
    const response = await fetch("/api/version", { cache: "no-store" });
    const state = await response.json();
    if (String(state.version) !== badge.dataset.version && !document.querySelector("button:disabled[data-action]")) {
      window.location.reload();
      return;
    }
  } catch (error) {
    badge.textContent = "console unreachable";
  }
  setTimeout(watch, 2000);
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button");
  if (!button) return;
  if (button.dataset.action) onAction(button);
  else if (button.id === "approve-sign") onApprove("sign");
  else if (button.id === "approve-issue") onApprove("issue");
  else if (button.id === "approve-refuse") onApprove("refuse");
  else if (button.id === "approve-preview") onApprove("preview");
});

if (document.getElementById("grants")) setTimeout(watch, 2000);
