-- Exemptions: an operator's decision that something found needs no fix,
-- because it is mitigated or its risk is accepted. Exempt findings leave
-- an image's counts and health but stay visible under a filter; exempt
-- resources leave a recommendation's affected list.
--
-- Findings are written again by every rescan (new ids), so a finding is
-- named by what identifies it within its image: the vulnerability and the
-- package (type, ecosystem, name, version). An image digest's content
-- never changes, so that names the same finding after any rescan.
CREATE TABLE exemptions (
    id                 bigserial PRIMARY KEY,
    -- finding: one package's finding in one image; image: a vulnerability
    -- in every package of one image; repository: a vulnerability in every
    -- image of one repository, present and future; recommendation: one
    -- recommendation for one resource.
    scope              text NOT NULL,
    vuln_id            text NOT NULL DEFAULT '',
    image_id           bigint REFERENCES images (id) ON DELETE CASCADE,
    repository_id      bigint REFERENCES repositories (id) ON DELETE CASCADE,
    package_type       text NOT NULL DEFAULT '',
    package_ecosystem  text NOT NULL DEFAULT '',
    package_name       text NOT NULL DEFAULT '',
    package_version    text NOT NULL DEFAULT '',
    recommendation_id  text NOT NULL DEFAULT '',
    resource_kind      text NOT NULL DEFAULT '',
    resource_id        bigint,
    category           text NOT NULL,
    justification      text NOT NULL,
    -- NULL never expires. From expires_at on, every query treats the
    -- exemption as gone; lapsed_at records when the expiry job recounted
    -- the images it covered.
    expires_at         timestamptz,
    lapsed_at          timestamptz,
    created_by_user_id bigint REFERENCES users (id) ON DELETE SET NULL,
    -- Kept as it was, so the list stays readable after the user goes.
    created_by_name    text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT exemption_scope_known CHECK (scope IN ('finding', 'image', 'repository', 'recommendation')),
    CONSTRAINT exemption_category_known CHECK (category IN ('mitigated', 'risk_accepted')),
    CONSTRAINT exemption_justification_length CHECK (char_length(btrim(justification)) BETWEEN 1 AND 2000),
    CONSTRAINT exemption_scope_complete CHECK (CASE scope
        WHEN 'finding' THEN image_id IS NOT NULL AND vuln_id <> '' AND package_name <> ''
        WHEN 'image' THEN image_id IS NOT NULL AND vuln_id <> ''
        WHEN 'repository' THEN repository_id IS NOT NULL AND vuln_id <> ''
        ELSE recommendation_id <> '' AND resource_kind <> '' AND resource_id IS NOT NULL
    END)
);

-- Finding-level lookups go by vulnerability first: few exemptions per
-- vulnerability, checked for every finding row listed or counted.
CREATE INDEX exemptions_vuln_idx ON exemptions (vuln_id, scope) WHERE scope <> 'recommendation';
CREATE INDEX exemptions_image_idx ON exemptions (image_id);
CREATE INDEX exemptions_repository_idx ON exemptions (repository_id);
CREATE INDEX exemptions_resource_idx ON exemptions (recommendation_id, resource_kind, resource_id)
    WHERE scope = 'recommendation';
CREATE INDEX exemptions_lapse_idx ON exemptions (expires_at) WHERE lapsed_at IS NULL AND expires_at IS NOT NULL;
CREATE INDEX exemptions_created_idx ON exemptions (created_at DESC, id DESC);

-- The audit page filters by action and lists the actions there are; the
-- latter walks this index instead of reading the whole log.
CREATE INDEX audit_log_action ON audit_log (action, id DESC);
