//! The fakes, running on 127.0.0.1, driven by a plain HTTP client.

mod amocrm_auth;
mod amocrm_contacts;
mod amocrm_leads;
mod amocrm_limits;
mod bitrix24_batch;
mod bitrix24_faults;
mod bitrix24_items;
mod bitrix24_lists;
mod bitrix24_oauth;
mod bitrix24_shapes;
mod common;
mod domoplaner;
mod liner;
mod macrocrm;
mod sandbox;
