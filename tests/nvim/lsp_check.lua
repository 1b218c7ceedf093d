-- Headless Neovim as a real LSP client of `sadpath server`.
-- Env: SADPATH_PYTHON (interpreter with sadpath installed), OUT (report file), LSP_TIMEOUT_MS.
-- Exit 0 when sadpath's diagnostics, a hover over the first finding and its code actions all arrive; 1 otherwise.
local python = os.getenv("SADPATH_PYTHON")
if not python then
  io.stderr:write("SADPATH_PYTHON must be set\n")
  vim.cmd("cquit! 2") -- a Lua error would otherwise leave headless nvim waiting forever
end
local out_path = os.getenv("OUT") or "nvim-lsp-check.txt"
local timeout_ms = tonumber(os.getenv("LSP_TIMEOUT_MS") or "15000")

local function finish(ok, lines)
  local f = assert(io.open(out_path, "w"))
  f:write(table.concat(lines, "\n") .. "\n")
  f:close()
  io.stdout:write(table.concat(lines, "\n") .. "\n")
  if ok then vim.cmd("qall!") else vim.cmd("cquit! 1") end
end

local config = {
  name = "sadpath",
  cmd = { python, "-m", "sadpath", "server" },
  root_dir = vim.fn.getcwd(),
  init_options = { debounceMs = 0 },
}

vim.api.nvim_create_autocmd("FileType", {
  pattern = "python",
  callback = function(args)
    if vim.lsp.start then -- Neovim >= 0.8
      vim.lsp.start(config, { bufnr = args.buf })
    else -- Neovim 0.7 (Debian bookworm)
      local id = vim.lsp.start_client(config)
      vim.lsp.buf_attach_client(args.buf, id)
    end
  end,
})

local function sadpath_diagnostics(buf)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.source == "sadpath" then found[#found + 1] = d end
  end
  return found
end

local function check()
  local buf = vim.api.nvim_get_current_buf()
  local got = vim.wait(timeout_ms, function() return #sadpath_diagnostics(buf) > 0 end, 50)
  local lines = {}
  if not got then
    lines[#lines + 1] = "ERROR: no sadpath diagnostics within " .. timeout_ms .. " ms"
    return finish(false, lines)
  end
  local diags = sadpath_diagnostics(buf)
  for _, d in ipairs(diags) do
    local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code) or "?"
    lines[#lines + 1] = string.format("DIAG %d:%d %s %s", d.lnum + 1, d.col + 1, code, d.message)
  end
  local d = diags[1]
  local pos = { textDocument = { uri = vim.uri_from_bufnr(buf) }, position = { line = d.lnum, character = d.col } }
  local hovered = false
  for _, r in pairs(vim.lsp.buf_request_sync(buf, "textDocument/hover", pos, timeout_ms) or {}) do
    if r.result and r.result.contents and string.find(r.result.contents.value, "SAD", 1, true) then
      hovered = true
      lines[#lines + 1] = "HOVER " .. string.gsub(r.result.contents.value, "\n", " ")
    end
  end
  local actions = 0
  local params = {
    textDocument = pos.textDocument,
    range = { start = { line = d.lnum, character = 0 }, ["end"] = { line = d.lnum, character = 0 } },
    context = { diagnostics = vim.lsp.diagnostic.get_line_diagnostics and vim.lsp.diagnostic.get_line_diagnostics(buf, d.lnum) or {} },
  }
  for _, r in pairs(vim.lsp.buf_request_sync(buf, "textDocument/codeAction", params, timeout_ms) or {}) do
    for _, a in ipairs(r.result or {}) do
      actions = actions + 1
      lines[#lines + 1] = "ACTION " .. a.title
    end
  end
  if not hovered then lines[#lines + 1] = "ERROR: no sadpath hover" end
  if actions == 0 then lines[#lines + 1] = "ERROR: no code actions" end
  finish(hovered and actions > 0, lines)
end

vim.api.nvim_create_autocmd("VimEnter", {
  callback = function()
    local ok, err = pcall(check)
    if not ok then finish(false, { "ERROR: " .. tostring(err) }) end
  end,
})
