# Fixture: literal secrets the check must flag, and references it must accept.
db_password  = "hunter2-but-longer"
github_token = "not-a-real-token-value"
note         = "AKIAABCDEFGHIJKLMNOP"
tls_key      = "-----BEGIN RSA PRIVATE KEY-----"

token_secret_arn = "arn:aws:secretsmanager:ap-southeast-2:111111111111:secret:app/token"
app_secret_names = { APP_AUTH_TOKEN = "app-auth-token" }
