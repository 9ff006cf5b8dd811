DROP TABLE child_transfers;
