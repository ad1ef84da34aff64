package awsfront

import "encoding/json"

// moto answers GetSecretValue without VersionId and VersionStage with the version it wrote last, also
// after UpdateSecretVersionStage moved AWSCURRENT to another version; AWS answers with the AWSCURRENT
// version. A rollback of a secret's value (docs/runbooks/secret-rotation.md) moves AWSCURRENT back, so
// the front asks moto for AWSCURRENT explicitly, as AWS's default is.
func currentVersionByDefault(call *Call) {
	if call.Service != "secretsmanager" || call.Operation != "GetSecretValue" {
		return
	}
	if call.Str("VersionId") != "" || call.Str("VersionStage") != "" {
		return
	}
	in := map[string]any{}
	for k, v := range call.JSON() {
		in[k] = v
	}
	in["VersionStage"] = "AWSCURRENT"
	b, err := json.Marshal(in)
	if err != nil {
		return // a body that decoded always encodes; moto answers the call as it was
	}
	call.Body, call.json = b, nil
}
