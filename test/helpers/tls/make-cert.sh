#!/bin/sh
# Makes the self-signed certificate the proxy tests serve https with (test/helpers/tls-front.ts):
# localhost and 127.0.0.1, valid for 100 years, P-256. Only for tests on loopback; the key is public.
set -eu
cd "$(dirname "$0")"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500 \
  -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout localhost-key.pem -out localhost-cert.pem 2>/dev/null
