import { RemovalPolicy } from "aws-cdk-lib";
import { type Alias, Key, KeySpec, KeyUsage } from "aws-cdk-lib/aws-kms";
import { Construct } from "constructs";

export interface SigningKeyProps {
  /** `alias/<name>`; unique per account and region. */
  readonly aliasName: string;
}

/**
 * The KMS key every signature is made with. ECC_NIST_P256 with ECDSA_SHA_256 is the interoperable
 * choice: cosign, notation and sigstore verifiers all accept it, and verifiers stumble on P-384/P-521.
 */
export class SigningKey extends Construct {
  readonly key: Key;
  readonly alias: Alias;
  /** cosign's key URI form with an empty endpoint, so the SDK resolves the regional endpoint itself. */
  readonly uri: string;

  constructor(scope: Construct, id: string, props: SigningKeyProps) {
    super(scope, id);
    this.key = new Key(this, "Key", {
      description: "Countersign image signing key (ECDSA P-256, SHA-256)",
      keySpec: KeySpec.ECC_NIST_P256,
      keyUsage: KeyUsage.SIGN_VERIFY,
      // Signatures made with this key stay in registries for years and verifiers pin its public key:
      // deleting the stack must never schedule the key for deletion.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.alias = this.key.addAlias(props.aliasName);
    this.uri = `awskms:///${this.key.keyArn}`;
  }
}
