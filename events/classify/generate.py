#!/usr/bin/env python3
"""Writes the sample SQS events for `classify` (run from anywhere; deterministic output).

sqs-batch.json              three ingest messages (CloudTrail, DNS, syslog/CEF) as the SQS
                            event source mapping delivers them
sqs-batch-with-poison.json  the same plus one body that is not a queue batch
"""

import hashlib
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
QUEUE_ARN = "arn:aws:sqs:us-east-1:111122223333:ocsfmap-classify"
RECEIVED = 1715681040000  # 2024-05-14T10:04:00Z


def uuid7(n):
    """A fixed UUIDv7 whose timestamp is RECEIVED (+n ms)."""
    ms = RECEIVED + n
    h = f"{ms:012x}" + f"7{n:03x}" + f"8{n:015x}"
    return f"{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


RECORDS = [
    ("aws:cloudtrail", '{"eventVersion":"1.08","eventTime":"2024-05-14T10:02:09Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.50","userIdentity":{"type":"Root"},"responseElements":{"ConsoleLogin":"Failure"}}'),
    ("aws:cloudtrail", '{"eventVersion":"1.08","eventTime":"2024-05-14T10:02:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.10","userIdentity":{"type":"IAMUser","userName":"admin"},"requestParameters":{"userName":"svc-backup"}}'),
    ("dns", '{"timestamp":"2024-05-14T10:06:00Z","query":"example.com","qtype":"A","rcode":"NOERROR","client_ip":"10.1.1.5","answers":["93.184.216.34"]}'),
    ("syslog", "<86>May 14 10:05:01 web01 sshd[2211]: Accepted publickey for deploy from 198.51.100.7 port 52144 ssh2: RSA SHA256:abc"),
    ("syslog", "CEF:0|Palo Alto Networks|PAN-OS|10.1|TRAFFIC|end|3|src=10.0.0.5 dst=93.184.216.34 spt=51515 dpt=443 proto=TCP act=allow"),
]


def envelope(i, source, raw):
    return {"event_id": uuid7(i), "received_at": RECEIVED + i, "source": source, "raw": raw}


def message(i, body):
    return {
        "messageId": f"00000000-0000-4000-8000-{i:012d}",
        "receiptHandle": f"sample-receipt-{i}",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": str(RECEIVED + 100 + i),
            "SenderId": "AROAEXAMPLE:ingest",
            "ApproximateFirstReceiveTimestamp": str(RECEIVED + 200 + i),
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": "us-east-1",
    }


def batch(envs):
    return json.dumps({"v": 1, "records": envs}, separators=(",", ":"))


def main():
    envs = [envelope(i, s, r) for i, (s, r) in enumerate(RECORDS)]
    bodies = [batch(envs[0:2]), batch(envs[2:3]), batch(envs[3:5])]
    good = [message(i, b) for i, b in enumerate(bodies)]
    poison = message(len(bodies), '{"v":1,"records":[{"event_id":"not-a-uuid","received_at":1,"raw":"x"}]}')
    for name, records in [("sqs-batch.json", good), ("sqs-batch-with-poison.json", good + [poison])]:
        with open(os.path.join(HERE, name), "w") as f:
            json.dump({"Records": records}, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
