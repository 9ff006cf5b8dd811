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
