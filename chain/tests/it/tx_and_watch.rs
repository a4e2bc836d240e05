use alloy::{
    node_bindings::{Anvil, AnvilInstance},
    primitives::{Address, U256},
    providers::Provider,
    signers::local::PrivateKeySigner,
};
use arcanum_chain::{ChainConfig, Checkpoint, MarketClient, MarketParams, WatchStep};
use std::{path::PathBuf, time::Duration};

fn anvil() -> AnvilInstance {
    let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tools/bin/anvil");
    assert!(
        bin.exists(),
        "anvil not found at {}: run `make tools`",
        bin.display()
    );
    Anvil::new().path(bin).try_spawn().expect("anvil starts")
}

async fn deployed(anvil: &AnvilInstance, bump_after: Duration) -> MarketClient {
    let mut config = ChainConfig::new(anvil.endpoint());
    config.fee_bump_after = bump_after;
    config.receipt_timeout = Duration::from_secs(30);
    let owner = PrivateKeySigner::from(anvil.keys()[0].clone());
    let params = MarketParams {
        unbonding_delay: 60,
        min_worker_stake: U256::from(1u64),
        treasury: Address::repeat_byte(0x77),
        oracle_nodes: vec![],
        oracle_circuits: vec![],
    };
    MarketClient::deploy(config, owner, &[], &params)
        .await
        .expect("deploys")
}

async fn rpc<T: serde::de::DeserializeOwned + Send + Sync + Unpin + std::fmt::Debug + 'static>(
    client: &MarketClient,
    method: &'static str,
    params: serde_json::Value,
) -> T {
    client
        .provider()
        .raw_request(method.into(), params)
        .await
        .unwrap_or_else(|e| panic!("{method}: {e}"))
}

async fn wait_pooled(client: &MarketClient) {
    for _ in 0..100 {
        let status: serde_json::Value = rpc(client, "txpool_status", serde_json::json!([])).await;
        if status["pending"] != "0x0" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the transaction never reached the pool");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stuck_transactions_are_replaced_with_higher_fees_and_dropped_ones_sent_again_each_mined_once()
 {
    let anvil = anvil();
    let client = deployed(&anvil, Duration::from_millis(800)).await;
    let me = client.account();
    let provider = client.provider().clone();
    let nonce_before = provider.get_transaction_count(me).await.expect("nonce");
    let initial = provider.estimate_eip1559_fees().await.expect("fees");
    let _: serde_json::Value = rpc(&client, "evm_setAutomine", serde_json::json!([false])).await;

    // 1. Nothing is mined for a while: the pooled transaction is replaced with higher fees
    //    (the pool accepts a replacement only 10% above), and the last version is mined.
    let sender = client.clone();
    let sent = tokio::spawn(async move { sender.mint(me, U256::from(5u64)).await });
    wait_pooled(&client).await;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let _: serde_json::Value = rpc(&client, "anvil_mine", serde_json::json!([1])).await;
    let outcome = sent.await.expect("task").expect("mined after replacement");
    let (_, bumped, _) = client.tx_stats();
    assert!(bumped >= 1, "no replacement was sent");
    let mined = provider
        .get_transaction_by_hash(outcome.tx_hash)
        .await
        .expect("tx")
        .expect("known");
    use alloy::consensus::Transaction as _;
    assert!(
        mined.max_priority_fee_per_gas().unwrap_or_default()
            >= initial.max_priority_fee_per_gas + initial.max_priority_fee_per_gas / 8,
        "the mined version is not a bumped one"
    );

    // 2. Every block from now on has a base fee 10x today's: Anvil evicts the transaction
    //    priced for today's fees, and the manager sends it again, priced for the new ones.
    let base = provider
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .await
        .expect("block")
        .expect("latest")
        .header
        .base_fee_per_gas
        .expect("1559");
    let high = u128::from(base) * 10;
    let sender = client.clone();
    let sent = tokio::spawn(async move { sender.mint(me, U256::from(5u64)).await });
    wait_pooled(&client).await;
    let mut blocks = 0;
    while !sent.is_finished() && blocks < 60 {
        let _: serde_json::Value = rpc(
            &client,
            "anvil_setNextBlockBaseFeePerGas",
            serde_json::json!([format!("{high:#x}")]),
        )
        .await;
        let _: serde_json::Value = rpc(&client, "anvil_mine", serde_json::json!([1])).await;
        blocks += 1;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let outcome = sent.await.expect("task").expect("mined after a resend");
    let (_, _, resent) = client.tx_stats();
    assert!(resent >= 1, "the dropped transaction was not sent again");
    let receipt = provider
        .get_transaction_receipt(outcome.tx_hash)
        .await
        .expect("receipt")
        .expect("mined");
    assert!(receipt.effective_gas_price >= high);

    let nonce_after = provider.get_transaction_count(me).await.expect("nonce");
    assert_eq!(
        nonce_after,
        nonce_before + 2,
        "one version of each was mined"
    );
    assert_eq!(
        client.balance_of(me).await.expect("balance"),
        U256::from(10u64),
        "each mint happened once"
    );
}

/// Applies watcher steps until idle, as a node does, keeping events by (block, index).
async fn catch_up(
    client: &MarketClient,
    history: &mut Vec<Checkpoint>,
    events: &mut Vec<(u64, String)>,
) -> usize {
    let mut reorgs = 0;
    loop {
        match client.watch_step(history, 0, 1000).await.expect("step") {
            WatchStep::Idle => return reorgs,
            WatchStep::Advanced { logs, to } => {
                events.extend(logs.iter().map(|l| (l.block, format!("{:?}", l.event))));
                history.push(to);
            }
            WatchStep::Reorged { common, .. } => {
                reorgs += 1;
                let keep = common.map_or(0, |c| c.number);
                events.retain(|(b, _)| *b <= keep);
                history.retain(|c| c.number <= keep);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watcher_rolls_back_a_reorged_event_and_counts_a_replayed_one_once() {
    let anvil = anvil();
    let client = deployed(&anvil, Duration::from_secs(15)).await;
    let me = client.account();
    client.mint(me, U256::from(100u64)).await.expect("mint");
    let mut history = Vec::new();
    let mut events = Vec::new();
    assert_eq!(catch_up(&client, &mut history, &mut events).await, 0);
    let before = events.len();

    // A Staked event, then a reorg that drops its block: the event is rolled back.
    let staked = client.stake(U256::from(10u64)).await.expect("stake");
    catch_up(&client, &mut history, &mut events).await;
    let staked_events =
        |ev: &[(u64, String)]| ev.iter().filter(|(_, e)| e.contains("Staked")).count();
    assert_eq!(staked_events(&events), 1);
    let raw: alloy::primitives::Bytes = rpc(
        &client,
        "eth_getRawTransactionByHash",
        serde_json::json!([staked.tx_hash]),
    )
    .await;
    let _: serde_json::Value = rpc(&client, "anvil_reorg", serde_json::json!([1, []])).await;
    assert_eq!(
        catch_up(&client, &mut history, &mut events).await,
        1,
        "reorg noticed"
    );
    assert_eq!(
        staked_events(&events),
        0,
        "the dropped Staked is rolled back"
    );
    assert_eq!(events.len(), before);

    // The same transaction mined again in a block with another hash: counted once.
    let _: serde_json::Value =
        rpc(&client, "anvil_reorg", serde_json::json!([1, [[raw, 0]]])).await;
    let reorgs = catch_up(&client, &mut history, &mut events).await;
    assert_eq!(reorgs, 1);
    assert_eq!(staked_events(&events), 1, "replayed event counted once");
    assert_eq!(
        client.stake_of(me).await.expect("stake").staked,
        U256::from(10u64)
    );
}
