//! Diesel table definitions shared by both dialects; the migrations in `migrations/{sqlite,postgres}`
//! must produce tables that match these exactly (checked by the test suite on both databases).

diesel::table! {
    regions (code) {
        code -> Text,
        name -> Text,
        level -> Text,
        parent_code -> Nullable<Text>,
        urban_rural -> Nullable<Text>,
    }
}

diesel::table! {
    schools (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        region_code -> Text,
        kind -> Text,
        boarding -> Bool,
        hotline -> Nullable<Text>,
        address -> Nullable<Text>,
        version -> Integer,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        display_name -> Text,
        password_hash -> Text,
        role -> Text,
        region_code -> Text,
        school_id -> Nullable<BigInt>,
        must_change_password -> Bool,
        disabled -> Bool,
        locale -> Nullable<Text>,
        version -> Integer,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    classes (id) {
        id -> BigInt,
        school_id -> BigInt,
        school_year -> Integer,
        grade -> Integer,
        name -> Text,
        version -> Integer,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    class_head_teachers (class_id, user_id) {
        class_id -> BigInt,
        user_id -> BigInt,
    }
}

diesel::table! {
    sessions (id_hash) {
        id_hash -> Text,
        user_id -> BigInt,
        csrf_token -> Text,
        created_at -> BigInt,
        last_seen_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    api_tokens (token_hash) {
        token_hash -> Text,
        user_id -> BigInt,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    login_failures (id) {
        id -> BigInt,
        username -> Text,
        address -> Text,
        at -> BigInt,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        at -> BigInt,
        actor_id -> Nullable<BigInt>,
        actor_name -> Text,
        kind -> Text,
        target -> Text,
        detail -> Text,
        address -> Nullable<Text>,
        region_code -> Nullable<Text>,
    }
}

diesel::joinable!(schools -> regions (region_code));
diesel::joinable!(classes -> schools (school_id));
diesel::joinable!(class_head_teachers -> classes (class_id));
diesel::joinable!(class_head_teachers -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(api_tokens -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    regions,
    schools,
    users,
    classes,
    class_head_teachers,
    sessions,
    api_tokens,
    login_failures,
    audit_events,
    children,
    child_revisions,
    child_transfers,
    calendars,
    pairings,
    care_records,
    group_events,
    group_event_children,
    help_plans,
    duty_rules,
    duties,
    job_runs,
);

diesel::table! {
    children (id) {
        id -> BigInt,
        school_id -> BigInt,
        class_id -> Nullable<BigInt>,
        school_region -> Text,
        residence_region -> Text,
        name -> Text,
        name_pinyin -> Text,
        name_initials -> Text,
        sex -> Text,
        ethnicity -> Text,
        birth_date -> Text,
        id_hash -> Nullable<Text>,
        id_last4 -> Nullable<Text>,
        hukou_type -> Nullable<Text>,
        schooling -> Text,
        care_arrangement -> Nullable<Text>,
        rating -> Nullable<Text>,
        tags -> Text,
        key_child -> Bool,
        lb_mca -> Bool,
        lb_xueji -> Integer,
        lb_census -> Bool,
        lb_as_of -> Text,
        completeness -> Integer,
        file_sealed -> Binary,
        submit_key -> Nullable<Text>,
        version -> Integer,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    child_revisions (id) {
        id -> BigInt,
        child_id -> BigInt,
        at -> BigInt,
        actor_id -> Nullable<BigInt>,
        actor_name -> Text,
        version -> Integer,
        changes -> Text,
    }
}

diesel::table! {
    child_transfers (id) {
        id -> BigInt,
        child_id -> BigInt,
        from_school_id -> BigInt,
        to_school_id -> BigInt,
        reason -> Text,
        status -> Text,
        requested_by -> Text,
        requested_at -> BigInt,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<BigInt>,
    }
}

diesel::joinable!(child_transfers -> children (child_id));
diesel::joinable!(children -> schools (school_id));
diesel::joinable!(children -> classes (class_id));
diesel::joinable!(child_revisions -> children (child_id));

diesel::table! {
    calendars (id) {
        id -> BigInt,
        region_code -> Nullable<Text>,
        school_id -> Nullable<BigInt>,
        school_year -> Integer,
        body -> Text,
        version -> Integer,
        updated_by -> Text,
        updated_at -> BigInt,
    }
}

diesel::table! {
    pairings (id) {
        id -> BigInt,
        child_id -> BigInt,
        kind -> Text,
        user_id -> Nullable<BigInt>,
        buddy_child_id -> Nullable<BigInt>,
        partner_name -> Text,
        from_date -> Text,
        to_date -> Nullable<Text>,
        note -> Text,
        created_by -> Text,
        created_at -> BigInt,
        ended_by -> Nullable<Text>,
    }
}

diesel::table! {
    care_records (id) {
        id -> BigInt,
        child_id -> BigInt,
        school_id -> BigInt,
        school_region -> Text,
        kind -> Text,
        record_date -> Text,
        entered_on -> Text,
        author_id -> Nullable<BigInt>,
        author_name -> Text,
        author_role -> Text,
        confidential -> Bool,
        body_sealed -> Binary,
        submit_key -> Nullable<Text>,
        deleted_at -> Nullable<BigInt>,
        deleted_by -> Nullable<Text>,
        version -> Integer,
        created_at -> BigInt,
        updated_at -> BigInt,
        periods -> Nullable<Integer>,
    }
}

diesel::table! {
    group_events (id) {
        id -> BigInt,
        school_id -> BigInt,
        school_region -> Text,
        class_id -> Nullable<BigInt>,
        kind -> Text,
        event_date -> Text,
        entered_on -> Text,
        title -> Text,
        body_sealed -> Binary,
        author_id -> Nullable<BigInt>,
        author_name -> Text,
        submit_key -> Nullable<Text>,
        deleted_at -> Nullable<BigInt>,
        version -> Integer,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    group_event_children (event_id, child_id) {
        event_id -> BigInt,
        child_id -> BigInt,
    }
}

diesel::table! {
    help_plans (id) {
        id -> BigInt,
        child_id -> BigInt,
        school_id -> BigInt,
        school_region -> Text,
        term_key -> Text,
        status -> Text,
        body_sealed -> Binary,
        author_id -> Nullable<BigInt>,
        author_name -> Text,
        entered_on -> Text,
        signed_by -> Nullable<Text>,
        signed_at -> Nullable<BigInt>,
        version -> Integer,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    duty_rules (id) {
        id -> BigInt,
        region_code -> Nullable<Text>,
        code -> Text,
        body -> Text,
        enabled -> Bool,
        version -> Integer,
        updated_by -> Text,
        updated_at -> BigInt,
    }
}

diesel::table! {
    duties (id) {
        id -> BigInt,
        rule_id -> BigInt,
        rule_code -> Text,
        subject_kind -> Text,
        subject_id -> BigInt,
        class_id -> Nullable<BigInt>,
        school_id -> BigInt,
        school_region -> Text,
        responsible_role -> Text,
        period_key -> Text,
        window_start -> Text,
        window_end -> Text,
        due_date -> Text,
        required -> Integer,
        done_count -> Integer,
        status -> Text,
        done_on -> Nullable<Text>,
        waived_reason -> Nullable<Text>,
        updated_at -> BigInt,
    }
}

diesel::table! {
    job_runs (job) {
        job -> Text,
        last_date -> Text,
        finished_at -> BigInt,
    }
}

diesel::joinable!(pairings -> children (child_id));
diesel::joinable!(care_records -> children (child_id));
diesel::joinable!(care_records -> schools (school_id));
diesel::joinable!(group_events -> schools (school_id));
diesel::joinable!(group_event_children -> group_events (event_id));
diesel::joinable!(group_event_children -> children (child_id));
diesel::joinable!(help_plans -> children (child_id));
diesel::joinable!(duties -> duty_rules (rule_id));

diesel::table! {
    dropout_settings (region_code) {
        region_code -> Text,
        streak_days -> Integer,
        lapse_days -> Integer,
        ladder -> Text,
        notice_template -> Nullable<Text>,
        teaching_target -> Nullable<Integer>,
        version -> Integer,
        updated_by -> Text,
        updated_at -> BigInt,
    }
}

diesel::table! {
    roll_calls (id) {
        id -> BigInt,
        class_id -> BigInt,
        school_id -> BigInt,
        day -> Text,
        submitted_by -> BigInt,
        submitted_at -> BigInt,
        version -> Integer,
        updated_at -> BigInt,
    }
}

diesel::table! {
    absences (id) {
        id -> BigInt,
        roll_call_id -> BigInt,
        child_id -> BigInt,
        day -> Text,
        kind -> Text,
        reason -> Nullable<Text>,
        recorded_by -> BigInt,
        recorded_at -> BigInt,
    }
}

diesel::table! {
    enrolments (child_id) {
        child_id -> BigInt,
        school_id -> BigInt,
        school_region -> Text,
        state -> Text,
        since -> Text,
        streak -> Integer,
        updated_at -> BigInt,
    }
}

diesel::table! {
    enrolment_decisions (id) {
        id -> BigInt,
        child_id -> BigInt,
        day -> Text,
        kind -> Text,
        note -> Nullable<Text>,
        decided_by -> BigInt,
        recorded_at -> BigInt,
        withdrawn_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    enrolment_events (id) {
        id -> BigInt,
        child_id -> BigInt,
        day -> Text,
        from_state -> Text,
        to_state -> Text,
        cause -> Text,
        detail -> Text,
        actor -> Text,
        recorded_at -> BigInt,
        rolled_back_at -> Nullable<BigInt>,
        rollback_reason -> Nullable<Text>,
    }
}

diesel::table! {
    dropout_cases (id) {
        id -> BigInt,
        child_id -> BigInt,
        school_id -> BigInt,
        school_region -> Text,
        owner_region -> Text,
        opened_on -> Text,
        state -> Text,
        closed_on -> Nullable<Text>,
        closure -> Nullable<Text>,
        leave_reason -> Nullable<Text>,
        reason_note -> Nullable<Text>,
        version -> Integer,
        updated_at -> BigInt,
    }
}

diesel::table! {
    return_attempts (id) {
        id -> BigInt,
        case_id -> BigInt,
        child_id -> BigInt,
        day -> Text,
        method -> Text,
        people -> Text,
        met -> Text,
        outcome -> Text,
        note -> Nullable<Text>,
        recorded_by -> BigInt,
        recorded_at -> BigInt,
        submit_key -> Nullable<Text>,
    }
}

diesel::table! {
    return_plans (case_id) {
        case_id -> BigInt,
        child_id -> BigInt,
        grade -> Integer,
        class_id -> Nullable<BigInt>,
        tutoring -> Text,
        support -> Text,
        follow_up_by -> BigInt,
        created_by -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    case_handovers (id) {
        id -> BigInt,
        case_id -> BigInt,
        from_region -> Text,
        to_region -> Text,
        note -> Nullable<Text>,
        requested_by -> BigInt,
        requested_at -> BigInt,
        answered_by -> Nullable<BigInt>,
        answered_at -> Nullable<BigInt>,
        accepted -> Nullable<Bool>,
    }
}

diesel::table! {
    dropout_reports (id) {
        id -> BigInt,
        school_id -> BigInt,
        school_region -> Text,
        month -> Text,
        figures -> Text,
        note -> Nullable<Text>,
        submitted_by -> BigInt,
        submitted_at -> BigInt,
        signed_by -> Nullable<BigInt>,
        signed_at -> Nullable<BigInt>,
    }
}

diesel::joinable!(absences -> roll_calls (roll_call_id));
diesel::joinable!(absences -> children (child_id));
diesel::joinable!(roll_calls -> classes (class_id));
diesel::joinable!(enrolments -> children (child_id));
diesel::joinable!(dropout_cases -> children (child_id));
diesel::joinable!(dropout_cases -> schools (school_id));
diesel::joinable!(return_attempts -> dropout_cases (case_id));
diesel::joinable!(return_plans -> dropout_cases (case_id));
diesel::joinable!(case_handovers -> dropout_cases (case_id));
diesel::joinable!(dropout_reports -> schools (school_id));

diesel::allow_tables_to_appear_in_same_query!(
    dropout_settings,
    roll_calls,
    absences,
    enrolments,
    enrolment_decisions,
    enrolment_events,
    dropout_cases,
    return_attempts,
    return_plans,
    case_handovers,
    dropout_reports,
);
diesel::allow_tables_to_appear_in_same_query!(children, dropout_settings);
diesel::allow_tables_to_appear_in_same_query!(children, roll_calls);
diesel::allow_tables_to_appear_in_same_query!(children, absences);
diesel::allow_tables_to_appear_in_same_query!(children, enrolments);
diesel::allow_tables_to_appear_in_same_query!(children, enrolment_decisions);
diesel::allow_tables_to_appear_in_same_query!(children, enrolment_events);
diesel::allow_tables_to_appear_in_same_query!(children, dropout_cases);
diesel::allow_tables_to_appear_in_same_query!(children, return_attempts);
diesel::allow_tables_to_appear_in_same_query!(children, return_plans);
diesel::allow_tables_to_appear_in_same_query!(children, case_handovers);
diesel::allow_tables_to_appear_in_same_query!(children, dropout_reports);
diesel::allow_tables_to_appear_in_same_query!(classes, dropout_settings);
diesel::allow_tables_to_appear_in_same_query!(classes, roll_calls);
diesel::allow_tables_to_appear_in_same_query!(classes, absences);
diesel::allow_tables_to_appear_in_same_query!(classes, enrolments);
diesel::allow_tables_to_appear_in_same_query!(classes, enrolment_decisions);
diesel::allow_tables_to_appear_in_same_query!(classes, enrolment_events);
diesel::allow_tables_to_appear_in_same_query!(classes, dropout_cases);
diesel::allow_tables_to_appear_in_same_query!(classes, return_attempts);
diesel::allow_tables_to_appear_in_same_query!(classes, return_plans);
diesel::allow_tables_to_appear_in_same_query!(classes, case_handovers);
diesel::allow_tables_to_appear_in_same_query!(classes, dropout_reports);
diesel::allow_tables_to_appear_in_same_query!(schools, dropout_settings);
diesel::allow_tables_to_appear_in_same_query!(schools, roll_calls);
diesel::allow_tables_to_appear_in_same_query!(schools, absences);
diesel::allow_tables_to_appear_in_same_query!(schools, enrolments);
diesel::allow_tables_to_appear_in_same_query!(schools, enrolment_decisions);
diesel::allow_tables_to_appear_in_same_query!(schools, enrolment_events);
diesel::allow_tables_to_appear_in_same_query!(schools, dropout_cases);
diesel::allow_tables_to_appear_in_same_query!(schools, return_attempts);
diesel::allow_tables_to_appear_in_same_query!(schools, return_plans);
diesel::allow_tables_to_appear_in_same_query!(schools, case_handovers);
diesel::allow_tables_to_appear_in_same_query!(schools, dropout_reports);
diesel::allow_tables_to_appear_in_same_query!(users, dropout_settings);
diesel::allow_tables_to_appear_in_same_query!(users, roll_calls);
diesel::allow_tables_to_appear_in_same_query!(users, absences);
diesel::allow_tables_to_appear_in_same_query!(users, enrolments);
diesel::allow_tables_to_appear_in_same_query!(users, enrolment_decisions);
diesel::allow_tables_to_appear_in_same_query!(users, enrolment_events);
diesel::allow_tables_to_appear_in_same_query!(users, dropout_cases);
diesel::allow_tables_to_appear_in_same_query!(users, return_attempts);
diesel::allow_tables_to_appear_in_same_query!(users, return_plans);
diesel::allow_tables_to_appear_in_same_query!(users, case_handovers);
diesel::allow_tables_to_appear_in_same_query!(users, dropout_reports);
diesel::allow_tables_to_appear_in_same_query!(regions, dropout_settings);
diesel::allow_tables_to_appear_in_same_query!(regions, roll_calls);
diesel::allow_tables_to_appear_in_same_query!(regions, absences);
diesel::allow_tables_to_appear_in_same_query!(regions, enrolments);
diesel::allow_tables_to_appear_in_same_query!(regions, enrolment_decisions);
diesel::allow_tables_to_appear_in_same_query!(regions, enrolment_events);
diesel::allow_tables_to_appear_in_same_query!(regions, dropout_cases);
diesel::allow_tables_to_appear_in_same_query!(regions, return_attempts);
diesel::allow_tables_to_appear_in_same_query!(regions, return_plans);
diesel::allow_tables_to_appear_in_same_query!(regions, case_handovers);
diesel::allow_tables_to_appear_in_same_query!(regions, dropout_reports);
