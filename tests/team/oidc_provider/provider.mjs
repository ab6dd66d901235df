// A real OpenID Connect provider for praesent's sign-in tests: panva's oidc-provider (OpenID
// Certified), with its development login form (any login name, any password). Two clients:
// praesent, and another application whose tokens praesent must refuse.
// Usage: node provider.mjs PORT REDIRECT_URI
import Provider from "oidc-provider";

const [port, redirect] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    { client_id: "praesent", client_secret: "praesent-secret", redirect_uris: [redirect] },
    { client_id: "other-app", client_secret: "other-secret", redirect_uris: [redirect] },
  ],
  claims: { email: ["email", "email_verified"], groups: ["groups"] },
  scopes: ["openid", "email", "groups"],
  // The claims of the requested scopes go into the ID token too.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => false },
  // The login name may say what the provider claims of the address: "unverified:NAME" sends
  // email_verified false, "unclaimed:NAME" no email_verified claim (as some providers do);
  // NAME alone sends true. The address is NAME@example.com either way, the subject the login.
  async findAccount(_ctx, id) {
    const [mode, name] = id.includes(":") ? id.split(":", 2) : ["verified", id];
    return {
      accountId: id,
      async claims() {
        const claims = {
          sub: id,
          email: `${name}@example.com`,
          groups: name.startsWith("coach") ? ["Team A", "Unknown team"] : ["Team A"],
        };
        if (mode !== "unclaimed") claims.email_verified = mode === "verified";
        return claims;
      },
    };
  },
});
provider.proxy = false;
provider.listen(Number(port), "127.0.0.1", () => {
  console.log(`ready ${issuer}`);
});
