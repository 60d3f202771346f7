-- manyi collector schema, version 8: the verification survey's yes/no.
--
-- Version 5 stored the customer's score and comment on the case; the
-- verification also asks "has your issue been resolved?", and a case is
-- verified only when the answer is yes and the score is at least 4 (see
-- `crate::cases::verification`). NULL until the customer answers (and again
-- after a reopened case is resolved anew and a new link is sent).
ALTER TABLE cases ADD COLUMN verification_resolved INTEGER
    CHECK (verification_resolved IN (0, 1));

-- The delivery worker claims due deliveries by next_attempt_at; the log of
-- an endpoint lists its deliveries newest first.
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, id);

-- When the customer answered the verification, satisfied or not
-- (verified_at is set only when it verified the case).
ALTER TABLE cases ADD COLUMN verification_answered_at TEXT;
