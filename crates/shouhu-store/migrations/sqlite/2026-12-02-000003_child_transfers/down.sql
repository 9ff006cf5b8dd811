DROP INDEX children_lb_as_of;
DROP TABLE child_transfers;
