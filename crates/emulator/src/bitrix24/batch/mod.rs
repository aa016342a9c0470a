//! `batch`: up to 50 calls in one request, later ones able to use earlier
//! results through `$result[key][…]`.

mod commands;
mod references;
mod sections;

use chrono::Utc;
use serde_json::{Value, json};

use self::commands::{Command, read_commands};
use self::references::substitute;
use self::sections::php_array;
use super::error::ApiError;
use super::methods::call;
use super::time::time_object;
use crate::data::store::Store;
use crate::params::{Param, parse_php_query};

/// Most sub-calls one batch may carry.
const MAX_COMMANDS: usize = 50;

/// A batch's result and the sub-call methods it named (recorded even when
/// the batch is refused).
#[derive(Debug)]
pub(crate) struct BatchOutcome {
    /// Sub-call method names, in order.
    pub sub_calls: Vec<String>,
    /// The `result` object of the reply, or why the whole batch failed.
    pub result: Result<Value, ApiError>,
}

/// Runs a batch. Sub-call failures land in `result_error`; with `halt` the
/// first one stops the rest.
pub(crate) fn run(store: &Store, params: &Param) -> BatchOutcome {
    let commands = read_commands(params.get("cmd"));
    let sub_calls = commands.iter().map(|c| c.method.clone()).collect();
    let result = if commands.len() > MAX_COMMANDS {
        Err(ApiError::batch_too_long())
    } else if commands.iter().any(|c| c.method == "batch") {
        Err(ApiError::batch_method_not_allowed())
    } else {
        let halt = params.get("halt").is_some_and(Param::truthy);
        Ok(execute(store, &commands, halt))
    };
    BatchOutcome { sub_calls, result }
}

fn execute(store: &Store, commands: &[Command], halt: bool) -> Value {
    let mut results: Vec<(String, Value)> = Vec::new();
    let mut errors = Vec::new();
    let mut totals = Vec::new();
    let mut nexts = Vec::new();
    let mut times = Vec::new();
    for command in commands {
        let started = Utc::now();
        let query = substitute(&command.query, &results);
        match call(store, &command.method, &parse_php_query(&query)) {
            Ok(reply) => {
                results.push((command.key.clone(), reply.result));
                if let Some(total) = reply.total {
                    totals.push((command.key.clone(), json!(total)));
                }
                if let Some(next) = reply.next {
                    nexts.push((command.key.clone(), json!(next)));
                }
                times.push((command.key.clone(), time_object(started, false)));
            }
            Err(error) => {
                errors.push((command.key.clone(), error.body()));
                if halt {
                    break;
                }
            }
        }
    }
    json!({
        "result": php_array(results),
        "result_error": php_array(errors),
        "result_total": php_array(totals),
        "result_next": php_array(nexts),
        "result_time": php_array(times),
    })
}
