import { Duration } from "aws-cdk-lib";
import { Alarm, ComparisonOperator, Stats, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

export interface AttachQueueProps {
  /** At least six times the worker's timeout (AWS Lambda guide, "Configuring a queue to use with Lambda"). */
  readonly visibilityTimeout: Duration;
  /** Deliveries before a job moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
}

/** The queue of attach jobs, its dead-letter queue, and an alarm that fires on the first dead letter. */
export class AttachQueue extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly deadLetterAlarm: Alarm;

  constructor(scope: Construct, id: string, props: AttachQueueProps) {
    super(scope, id);
    this.deadLetterQueue = new Queue(this, "DeadLetters", {
      // A standard queue keeps a message's original enqueue time when it is moved to the dead-letter
      // queue, so the dead-letter retention must be longer than the source queue's (SQS guide,
      // "Using dead-letter queues"). 14 days is the maximum.
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.queue = new Queue(this, "Jobs", {
      visibilityTimeout: props.visibilityTimeout,
      retentionPeriod: Duration.days(4),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
    this.deadLetterAlarm = new Alarm(this, "DeadLettersVisible", {
      alarmDescription:
        "Attach jobs failed every delivery and reached the dead-letter queue: images are going unsigned.",
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: Stats.MAXIMUM,
      }),
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: 0,
      evaluationPeriods: 1,
      // SQS stops publishing metrics for a queue that has been empty and idle for hours: silence
      // means no dead letters, not an unknown state.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}
