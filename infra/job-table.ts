import { RemovalPolicy } from "aws-cdk-lib";
import { AttributeType, BillingMode, Table } from "aws-cdk-lib/aws-dynamodb";
import { Construct } from "constructs";

/** Key and TTL attribute names of the store table; the DynamoDB store writes items with these. */
export const JOB_TABLE_ATTRIBUTES = {
  partitionKey: "pk",
  sortKey: "sk",
  /** Epoch seconds; DynamoDB deletes the item some time after (TTL is lazy, so reads still check it). */
  expiresAt: "expiresAt",
} as const;

/**
 * One table for jobs, idempotency records and per-subject leases (single-table design: the item
 * kinds differ by key prefix, so one conditional write can cover an idempotency key and a lease).
 */
export class JobTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new Table(this, "Table", {
      partitionKey: { name: JOB_TABLE_ATTRIBUTES.partitionKey, type: AttributeType.STRING },
      sortKey: { name: JOB_TABLE_ATTRIBUTES.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: JOB_TABLE_ATTRIBUTES.expiresAt,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Idempotency records are what stop a redelivered webhook from signing twice: losing them
      // with a stack deletion would re-sign every image on the next push.
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
