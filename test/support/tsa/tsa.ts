// A real timestamping authority for tests: OpenSSL's `ts -reply` is the engine, behind a loopback HTTP
// endpoint speaking RFC 3161 §3.4 (`application/timestamp-query` in, `application/timestamp-reply` out).
// It has its own root CA and a TSA certificate whose only EKU is timeStamping, marked critical (§2.3),
// and signs with ESS signingCertificateV2 (`ess_cert_id_alg = sha256`), which notation requires.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { listenOnLoopback } from "../loopback-server.ts";

const run = promisify(execFile);

export interface TestTsa {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  /** The TSA's root certificate, PEM file and DER. */
  readonly rootFile: string;
  readonly rootDer: Uint8Array;
  /** The TSA signing certificate, PEM file and DER. */
  readonly leafFile: string;
  readonly leafDer: Uint8Array;
  /** Requests answered so far. */
  readonly requests: () => number;
  /** While set, every request gets this HTTP status instead of a timestamp. */
  failWith(status: number | undefined): void;
  stop(): Promise<void>;
}

export interface TestTsaOptions {
  /** Name in the certificates' CN. */
  readonly name?: string;
  /** TSA leaf validity in days (default 30). */
  readonly days?: number;
}

async function openssl(args: readonly string[], cwd: string): Promise<void> {
  try {
    await run("openssl", [...args], { cwd });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ENOENT") throw new Error("openssl is not installed: apt-get install openssl");
    throw error;
  }
}

const CONFIG = `
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ root_ext ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ tsa_ext ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = .
serial = ./serial
crypto_device = builtin
signer_cert = ./tsa.crt
certs = ./tsa.crt
signer_key = ./tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.57264.2.99
other_policies = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
`;

export async function startTestTsa(options: TestTsaOptions = {}): Promise<TestTsa> {
  const dir = await mkdtemp(join(tmpdir(), "countersign-tsa-"));
  const name = options.name ?? "Countersign Test TSA";
  await writeFile(join(dir, "openssl.cnf"), CONFIG);
  await writeFile(join(dir, "serial"), "01\n");
  const cnf = ["-config", "openssl.cnf"];
  await openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "root.key"], dir);
  await openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "tsa.key"], dir);
  await openssl(
    [
      "req",
      ...cnf,
      "-x509",
      "-new",
      "-key",
      "root.key",
      "-subj",
      `/O=Countersign tests/CN=${name} Root`,
    ].concat(["-days", "3650", "-extensions", "root_ext", "-out", "root.crt"]),
    dir,
  );
  await openssl(
    ["req", ...cnf, "-new", "-key", "tsa.key", "-subj", `/O=Countersign tests/CN=${name}`, "-out", "tsa.csr"],
    dir,
  );
  await openssl(
    ["x509", "-req", "-in", "tsa.csr", "-CA", "root.crt", "-CAkey", "root.key", "-CAcreateserial"].concat([
      "-days",
      String(options.days ?? 30),
      "-extfile",
      "openssl.cnf",
      "-extensions",
      "tsa_ext",
      "-out",
      "tsa.crt",
    ]),
    dir,
  );
  await openssl(["x509", "-in", "root.crt", "-outform", "DER", "-out", "root.der"], dir);
  await openssl(["x509", "-in", "tsa.crt", "-outform", "DER", "-out", "tsa.der"], dir);
  let answered = 0;
  let failure: number | undefined;
  let sequence = 0;
  const server: Server = createServer((request, response) => {
    void (async () => {
      if (failure !== undefined) {
        response.writeHead(failure).end();
        return;
      }
      if (request.method !== "POST" || request.headers["content-type"] !== "application/timestamp-query") {
        response.writeHead(415).end("send a POST with application/timestamp-query\n");
        return;
      }
      const id = ++sequence;
      await writeFile(join(dir, `q${id}.tsq`), await readBody(request));
      try {
        await openssl(["ts", "-reply", ...cnf, "-queryfile", `q${id}.tsq`, "-out", `r${id}.tsr`], dir);
        const reply = await readFile(join(dir, `r${id}.tsr`));
        answered++;
        response.writeHead(200, { "content-type": "application/timestamp-reply" }).end(reply);
      } catch (error) {
        response.writeHead(500).end(String(error));
      }
    })();
  });
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}/`,
    rootFile: join(dir, "root.crt"),
    rootDer: new Uint8Array(await readFile(join(dir, "root.der"))),
    leafFile: join(dir, "tsa.crt"),
    leafDer: new Uint8Array(await readFile(join(dir, "tsa.der"))),
    requests: () => answered,
    failWith(status) {
      failure = status;
    },
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}
