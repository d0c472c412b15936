"""restore-sync: makes a restored DynamoDB table whole."""
