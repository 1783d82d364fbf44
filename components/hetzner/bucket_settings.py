"""A bucket's settings in souverain's shape, and their S3 API payloads both ways.

Settings are plain dicts with snake_case keys, as the dynamic provider stores them.
`normalized` brings what a user wrote and what the S3 API answered to one form, so a
diff compares like with like and a second `pulumi up` shows no change.
"""

import fnmatch
import json
from typing import Any

CORS_METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD")
SETTINGS = ("versioning", "lifecycle_rules", "cors_rules", "public_read")


def normalized_lifecycle(rules: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Lifecycle rules with only the keys souverain manages, empty ones dropped."""
    result = []
    for rule in rules or []:
        clean = {"id": rule["id"], "prefix": rule.get("prefix") or ""}
        for key in ("expire_days", "noncurrent_days"):
            if rule.get(key) is not None:
                clean[key] = int(rule[key])
        result.append(clean)
    return sorted(result, key=lambda r: r["id"])


def normalized_cors(rules: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """CORS rules with sorted lists and methods in capitals."""
    result = []
    for rule in rules or []:
        clean = {
            "allowed_origins": sorted(rule.get("allowed_origins") or []),
            "allowed_methods": sorted(
                m.upper() for m in rule.get("allowed_methods", [])
            ),
            "allowed_headers": sorted(rule.get("allowed_headers") or []),
        }
        if rule.get("max_age_seconds") is not None:
            clean["max_age_seconds"] = int(rule["max_age_seconds"])
        result.append(clean)
    return result


def normalized(settings: dict[str, Any]) -> dict[str, Any]:
    """The managed settings of `settings` in one comparable form."""
    return {
        "versioning": bool(settings.get("versioning")),
        "lifecycle_rules": normalized_lifecycle(settings.get("lifecycle_rules")),
        "cors_rules": normalized_cors(settings.get("cors_rules")),
        "public_read": bool(settings.get("public_read")),
    }


def lifecycle_payload(rules: list[dict[str, Any]]) -> dict[str, Any]:
    """The S3 LifecycleConfiguration for souverain's rules."""
    s3_rules = []
    for rule in rules:
        s3_rule: dict[str, Any] = {
            "ID": rule["id"],
            "Status": "Enabled",
            "Filter": {"Prefix": rule["prefix"]},
        }
        if "expire_days" in rule:
            s3_rule["Expiration"] = {"Days": rule["expire_days"]}
        if "noncurrent_days" in rule:
            s3_rule["NoncurrentVersionExpiration"] = {
                "NoncurrentDays": rule["noncurrent_days"]
            }
        s3_rules.append(s3_rule)
    return {"Rules": s3_rules}


def lifecycle_from_s3(s3_rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """souverain's rules from an S3 GetBucketLifecycleConfiguration answer."""
    rules = []
    for s3_rule in s3_rules:
        if s3_rule.get("Status") != "Enabled":
            continue
        prefix = (s3_rule.get("Filter") or {}).get("Prefix", s3_rule.get("Prefix", ""))
        rule = {"id": s3_rule.get("ID", ""), "prefix": prefix}
        if "Days" in (s3_rule.get("Expiration") or {}):
            rule["expire_days"] = s3_rule["Expiration"]["Days"]
        noncurrent = s3_rule.get("NoncurrentVersionExpiration") or {}
        if "NoncurrentDays" in noncurrent:
            rule["noncurrent_days"] = noncurrent["NoncurrentDays"]
        rules.append(rule)
    return normalized_lifecycle(rules)


def cors_payload(rules: list[dict[str, Any]]) -> dict[str, Any]:
    """The S3 CORSConfiguration for souverain's rules."""
    s3_rules = []
    for rule in rules:
        s3_rule: dict[str, Any] = {
            "AllowedOrigins": rule["allowed_origins"],
            "AllowedMethods": rule["allowed_methods"],
        }
        if rule["allowed_headers"]:
            s3_rule["AllowedHeaders"] = rule["allowed_headers"]
        if "max_age_seconds" in rule:
            s3_rule["MaxAgeSeconds"] = rule["max_age_seconds"]
        s3_rules.append(s3_rule)
    return {"CORSRules": s3_rules}


def cors_from_s3(s3_rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """souverain's rules from an S3 GetBucketCors answer."""
    return normalized_cors(
        [
            {
                "allowed_origins": rule.get("AllowedOrigins", []),
                "allowed_methods": rule.get("AllowedMethods", []),
                "allowed_headers": rule.get("AllowedHeaders", []),
                "max_age_seconds": rule.get("MaxAgeSeconds"),
            }
            for rule in s3_rules
        ]
    )


OWN_STATEMENT_ID = "souverain-public-read"
PUBLIC_GROUPS = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _reads_objects(action: str) -> bool:
    """True when an IAM action pattern (wildcards, any case) covers s3:GetObject."""
    return fnmatch.fnmatchcase("s3:getobject", str(action).lower())


def grants_public_read(statement: dict[str, Any]) -> bool:
    """True when one policy statement lets anyone read objects."""
    principal = statement.get("Principal")
    anyone = principal == "*" or (
        isinstance(principal, dict) and "*" in _as_list(principal.get("AWS"))
    )
    reads = any(_reads_objects(a) for a in _as_list(statement.get("Action")))
    return statement.get("Effect") == "Allow" and anyone and reads


def public_read_statement(bucket: str) -> dict[str, Any]:
    """souverain's own statement: anyone may GET every object, nothing else."""
    return {
        "Sid": OWN_STATEMENT_ID,
        "Effect": "Allow",
        "Principal": {"AWS": ["*"]},
        "Action": ["s3:GetObject"],
        "Resource": [f"arn:aws:s3:::{bucket}/*"],
    }


def policy_with_public_read(
    policy_text: str | None, bucket: str, public: bool
) -> str | None:
    """The bucket policy with public read added or removed, other statements kept.

    Removing takes out every statement that lets anyone read, whoever wrote it;
    statements for named users (a CI key that uploads, say) stay as they were.
    Returns None when no statement is left, meaning: delete the policy.
    """
    policy = json.loads(policy_text) if policy_text else {"Version": "2012-10-17"}
    statements = [
        s for s in _as_list(policy.get("Statement")) if not grants_public_read(s)
    ]
    if public:
        statements.append(public_read_statement(bucket))
    if not statements:
        return None
    return json.dumps({**policy, "Statement": statements})


def policy_allows_public_read(policy_text: str | None) -> bool:
    """True when any statement of a bucket policy lets anyone read objects."""
    if not policy_text:
        return False
    policy = json.loads(policy_text)
    return any(grants_public_read(s) for s in _as_list(policy.get("Statement")))


def acl_allows_public_read(grants: list[dict[str, Any]]) -> bool:
    """True when an ACL grants read to everyone or every authenticated user."""
    return any(
        grant.get("Grantee", {}).get("URI") in PUBLIC_GROUPS
        and grant.get("Permission") in ("READ", "FULL_CONTROL")
        for grant in grants
    )
