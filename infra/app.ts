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

new CountersignStack(app, String(stackName), {
  description: "Countersign: signs container images on push and attaches the signatures as OCI referrers",
  ...(typeof lambdaEntry === "string" ? { lambdaEntry: path.resolve(lambdaEntry) } : {}),
});
app.synth();
