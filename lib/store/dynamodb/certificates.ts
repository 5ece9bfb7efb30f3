// The Notary certificate on Lambda: one item per signing key in the store's table, under its own key
// prefix beside JOB#, SIG#, LOCK# and DELIVERY#. A conditional PutItem decides the race between
// containers creating (or renewing) it at once.
import type { CertificateStore } from "../../signing/certificate-store.ts";
import { conditionFailure, type DynamoDbApi, type Item } from "./api.ts";
import { KEY_ATTRIBUTES } from "./keys.ts";

export interface DynamoDbCertificateStoreOptions {
  readonly api: DynamoDbApi;
  readonly tableName: string;
}

export function certificateItemKey(keyId: string): Item {
  return { [KEY_ATTRIBUTES.partition]: { S: `NOTARY_CERT#${keyId}` }, [KEY_ATTRIBUTES.sort]: { S: "CERT" } };
}

export function dynamoDbCertificateStore(options: DynamoDbCertificateStoreOptions): CertificateStore {
  const { api, tableName } = options;
  return {
    async read(keyId) {
      const { Item: item } = await api.getItem({
        TableName: tableName,
        Key: certificateItemKey(keyId),
        ConsistentRead: true,
      });
      const pem = item?.pem?.S;
      return typeof pem === "string" && pem.length > 0 ? pem : undefined;
    },

    async write(keyId, certificate, previous) {
      try {
        await api.putItem({
          TableName: tableName,
          Item: {
            ...certificateItemKey(keyId),
            pem: { S: certificate.pem },
            createdAt: { S: certificate.createdAt.toISOString() },
          },
          ...(previous === undefined
            ? {
                ConditionExpression: "attribute_not_exists(#pk)",
                ExpressionAttributeNames: { "#pk": KEY_ATTRIBUTES.partition },
              }
            : {
                ConditionExpression: "#pem = :previous",
                ExpressionAttributeNames: { "#pem": "pem" },
                ExpressionAttributeValues: { ":previous": { S: previous } },
              }),
        });
      } catch (error) {
        if (conditionFailure(error) === undefined) throw error;
      }
    },
  };
}
