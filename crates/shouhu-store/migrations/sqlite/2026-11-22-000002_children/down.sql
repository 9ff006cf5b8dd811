DROP TABLE child_revisions;
DROP TABLE children;
