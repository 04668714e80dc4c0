-- The SPIFFE URI SAN of the verified client certificate, as the fetch
-- `lua.spiffe_uri`: what Envoy puts in XFCC's URI key. HAProxy has no fetch
-- for subject alternative names, so this walks the certificate's DER:
-- Certificate > tbsCertificate > [3] extensions > subjectAltName (2.5.29.17)
-- > GeneralNames > uniformResourceIdentifier ([6]).

-- Returns the tag of the TLV at `i`, its content's first and last index,
-- and the index after it.
local function tlv(s, i)
  local tag, len = s:byte(i), s:byte(i + 1)
  local at = i + 2
  if len >= 0x80 then
    local n = len - 0x80
    len = 0
    for _ = 1, n do
      len = len * 256 + s:byte(at)
      at = at + 1
    end
  end
  return tag, at, at + len - 1, at + len
end

local function children(s, first, last)
  local list, i = {}, first
  while i <= last do
    local tag, from, to, after = tlv(s, i)
    list[#list + 1] = { tag = tag, from = from, to = to }
    i = after
  end
  return list
end

local function uris(der)
  local _, cert_from = tlv(der, 1)
  local _, tbs_from, tbs_to = tlv(der, cert_from)
  for _, field in ipairs(children(der, tbs_from, tbs_to)) do
    if field.tag == 0xa3 then
      local _, exts_from, exts_to = tlv(der, field.from)
      for _, ext in ipairs(children(der, exts_from, exts_to)) do
        local parts = children(der, ext.from, ext.to)
        local oid = parts[1]
        if oid.tag == 0x06 and der:sub(oid.from, oid.to) == "\x55\x1d\x11" then
          local value = parts[#parts]
          local _, names_from, names_to = tlv(der, value.from)
          local found = {}
          for _, name in ipairs(children(der, names_from, names_to)) do
            if name.tag == 0x86 then
              found[#found + 1] = der:sub(name.from, name.to)
            end
          end
          return found
        end
      end
    end
  end
  return {}
end

core.register_fetches("spiffe_uri", function(txn)
  local der = txn.f:ssl_c_der()
  if der == nil or der == "" then
    return ""
  end
  local ok, found = pcall(uris, der)
  if not ok then
    return ""
  end
  for _, uri in ipairs(found) do
    if uri:sub(1, 9) == "spiffe://" then
      return uri
    end
  end
  return ""
end)
