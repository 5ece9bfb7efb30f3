import path from "node:path";
import { App } from "aws-cdk-lib";
import { CountersignStack } from "./countersign-stack.ts";

// The CDK app: `cdk synth` / `cdk deploy` from infra/ run this file with Node's type stripping.
// Environment-agnostic on purpose: synthesis never looks anything up in an account, and `cdk deploy`
// targets whatever account and region the AWS CLI profile names.
const app = new App();
const stackName = app.node.tryGetContext("countersign:stackName") ?? "Countersign";
// Synthesize against another adapter build (tests do, with a stand-in that has the same exports).
const lambdaEntry = app.node.tryGetContext("countersign:lambdaEntry");

// Environment variables for `{ "env": NAME }` in the configuration: -c 'countersign:environment={"NAME":"value"}'
// or an object under that key in cdk.json's context.
const environment = environmentContext(app.node.tryGetContext("countersign:environment"));

new CountersignStack(app, String(stackName), {
  description: "Countersign: signs container images on push and attaches the signatures as OCI referrers",
  ...(typeof lambdaEntry === "string" ? { lambdaEntry: path.resolve(lambdaEntry) } : {}),
  ...(environment === undefined ? {} : { environment }),
});
app.synth();

function environmentContext(value: unknown): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  let parsed = value;
  if (typeof value === "string") {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new Error('context countersign:environment: not JSON (expected {"NAME": "value", ...})');
    }
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new Error('context countersign:environment: expected an object {"NAME": "value", ...}');
  }
  return parsed as Record<string, string>;
}
