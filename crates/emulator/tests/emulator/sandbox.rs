//! The sandbox behind `liner-sync demo`: all fakes and a config naming every
//! CRM.

use liner_sync_emulator::{Sandbox, SandboxOptions};

use crate::common::{AMO_TOKEN, amo_get_as};

#[tokio::test]
async fn both_crms_run_and_the_config_names_them() {
    let sandbox = Sandbox::start(SandboxOptions {
        deals: 30,
        amo_deals: Some(20),
        ..SandboxOptions::default()
    })
    .await
    .unwrap();
    assert_eq!(
        sandbox.deals, 110,
        "30 in the portal, 20 in amoCRM, 30 in MACRO, 30 in Domoplaner"
    );
    assert_eq!(sandbox.macro_deals, 30);
    assert_eq!(sandbox.domoplaner_deals, 30);
    assert_eq!(sandbox.domoplaner.deal_count(), 30);
    assert_eq!(sandbox.amo_deals, 20);
    assert!(sandbox.callable <= sandbox.deals && sandbox.amo_callable <= sandbox.callable);
    assert_eq!(sandbox.amo.lead_count(), 20);
    assert_eq!(sandbox.bitrix.deal_count(), 30);
    let yaml = sandbox.config_yaml("state.db", "10/s");
    assert!(yaml.contains("kind: bitrix24"), "{yaml}");
    assert!(yaml.contains("  - name: amo\n    kind: amocrm\n"), "{yaml}");
    assert!(yaml.contains(&format!("base_url: {}\n", sandbox.amo.base_url())));
    assert!(yaml.contains(&format!("access_token: {AMO_TOKEN}\n")));
    assert!(
        yaml.contains("  - name: macro\n    kind: macrocrm\n"),
        "{yaml}"
    );
    assert!(
        yaml.contains(&format!(
            "  - name: domoplaner\n    kind: domoplaner\n    feed_url: {}\n",
            sandbox.domoplaner.feed_url()
        )),
        "{yaml}"
    );
    assert_eq!(yaml.matches("start_from:").count(), 4);
    let leads = amo_get_as(&sandbox.amo, "/api/v4/leads?limit=250", Some(AMO_TOKEN)).await;
    let ids: Vec<u64> = leads.json()["_embedded"]["leads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids.len(), 20);
    assert!(ids.iter().all(|id| *id > 20_000_000));
}
