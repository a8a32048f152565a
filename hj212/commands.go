package hj212

// Role is what a command is when sent in one direction, which fixes the
// answer it is owed (HJ 212-2017 §6.1 and Appendix C).
type Role uint8

// Roles of a command in one direction.
const (
	// RoleNone: the command is never sent in this direction.
	RoleNone Role = iota
	// RoleRequest: the receiver answers 9011 (QnRtn), runs it, may upload
	// data, and ends with 9012 (ExeRtn).
	RoleRequest
	// RoleNotification: the receiver answers 9013.
	RoleNotification
	// RoleUpload: data; the receiver answers 9014 when the Flag's A bit is 1.
	RoleUpload
	// RoleAnswer: an answer (9011-9014); nothing is owed for it.
	RoleAnswer
)

var roleNames = [...]string{"none", "request", "notification", "upload", "answer"}

// String returns the role's name: none, request, notification, upload, answer.
func (r Role) String() string {
	if int(r) < len(roleNames) {
		return roleNames[r]
	}
	return "unknown"
}

// Command describes one command code (CN) of HJ 212-2017 §6.6.5 Table 9,
// plus the HJ/T 212-2005 codes 2017 dropped and the HJ 212-2025 codes known
// second-hand (reference §1.12).
type Command struct {
	CN     string
	NameZH string
	Name   string
	// FromPlatform is the command's role when the platform sends it;
	// FromDevice when the data acquisition unit sends it.
	FromPlatform Role
	FromDevice   Role
	// Versions lists the editions that define the code.
	Versions []Version
}

var (
	v05   = []Version{V2005}
	v1725 = []Version{V2017, V2025}
	v25   = []Version{V2025}
	vAll  = []Version{V2005, V2017, V2025}
)

// commands is Table 9 in CN order.
var commands = []Command{
	{"1000", "设置超时时间及重发次数", "set timeout and retry count", RoleRequest, RoleNone, vAll},
	{"1001", "上传数采仪硬件序列号", "upload DAU hardware serial (2025)", RoleNone, RoleNotification, v25},
	{"1002", "设置数采仪 MN", "set DAU MN (2025)", RoleRequest, RoleNone, v25},
	{"1011", "提取现场机时间", "get field-unit time", RoleRequest, RoleUpload, vAll},
	{"1012", "设置现场机时间", "set field-unit time", RoleRequest, RoleNone, vAll},
	{"1013", "现场机时间校准请求", "time-calibration request", RoleNone, RoleNotification, v1725},
	{"1014", "密钥交换", "secret-key exchange (2025)", RoleRequest, RoleNotification, v25},
	{"1021", "提取污染物报警门限值", "get alarm thresholds (2005)", RoleRequest, RoleUpload, v05},
	{"1022", "设置污染物报警门限值", "set alarm thresholds (2005)", RoleRequest, RoleNone, v05},
	{"1031", "提取上位机地址", "get host address (2005)", RoleRequest, RoleUpload, v05},
	{"1032", "设置上位机地址", "set host address (2005)", RoleRequest, RoleNone, v05},
	{"1041", "提取数据上报时间", "get report time (2005)", RoleRequest, RoleUpload, v05},
	{"1042", "设置数据上报时间", "set report time (2005)", RoleRequest, RoleNone, v05},
	{"1061", "提取实时数据间隔", "get real-time data interval", RoleRequest, RoleUpload, vAll},
	{"1062", "设置实时数据间隔", "set real-time data interval", RoleRequest, RoleNone, vAll},
	{"1063", "提取分钟数据间隔", "get minute data interval", RoleRequest, RoleUpload, v1725},
	{"1064", "设置分钟数据间隔", "set minute data interval", RoleRequest, RoleNone, v1725},
	{"1072", "设置现场机访问密码", "set access password", RoleRequest, RoleNone, vAll},
	{"2011", "实时数据", "real-time data", RoleRequest, RoleUpload, vAll},
	{"2012", "停止察看实时数据", "stop real-time data", RoleNotification, RoleNone, vAll},
	{"2013", "原始监测数据", "raw monitoring data (2025)", RoleNone, RoleUpload, v25},
	{"2021", "设备运行状态", "facility running status", RoleRequest, RoleUpload, vAll},
	{"2022", "停止察看设备运行状态", "stop facility status", RoleNotification, RoleNone, vAll},
	{"2031", "日历史数据", "daily data", RoleRequest, RoleUpload, vAll},
	{"2041", "设备运行时间日历史数据", "daily facility running time", RoleRequest, RoleUpload, vAll},
	{"2051", "分钟数据", "minute data", RoleRequest, RoleUpload, vAll},
	{"2052", "噪声单次测量数据", "single noise measurement (2025)", RoleNone, RoleUpload, v25},
	{"2061", "小时数据", "hourly data", RoleRequest, RoleUpload, vAll},
	{"2062", "自动标样核查数据", "automatic standard-sample check data (2025)", RoleNone, RoleUpload, v25},
	{"2071", "报警记录", "alarm records (2005)", RoleRequest, RoleUpload, v05},
	{"2072", "报警事件", "alarm event (2005)", RoleNone, RoleUpload, v05},
	{"2081", "数采仪开机时间", "DAU restart time", RoleNone, RoleUpload, v1725},
	{"2111", "炉温 5 分钟均值", "furnace temperature 5-minute averages (2025)", RoleNone, RoleUpload, v25},
	{"3011", "零点校准量程校准", "zero/span calibration", RoleRequest, RoleNone, vAll},
	{"3012", "即时采样", "immediate sampling", RoleRequest, RoleNone, vAll},
	{"3013", "启动清洗/反吹", "cleaning / back-blow", RoleRequest, RoleNone, v1725},
	{"3014", "比对采样", "comparison sampling", RoleRequest, RoleNone, v1725},
	{"3015", "超标留样", "over-limit sample retention", RoleRequest, RoleUpload, v1725},
	{"3016", "设置采样时间周期", "set sampling period", RoleRequest, RoleNone, v1725},
	{"3017", "提取采样时间周期", "get sampling period", RoleRequest, RoleUpload, v1725},
	{"3018", "提取出样时间", "get sample-output time", RoleRequest, RoleUpload, v1725},
	{"3019", "提取设备唯一标识", "get instrument id", RoleRequest, RoleUpload, v1725},
	{"3020", "提取现场机信息", "get field-unit information", RoleRequest, RoleUpload, v1725},
	{"3021", "设置现场机参数", "set field-unit parameter", RoleRequest, RoleNone, v1725},
	{"3022", "即时留样任务", "instant sample-retention task (2025)", RoleRequest, RoleNone, v25},
	{"3024", "启动标样核查", "start standard-sample check (2025)", RoleRequest, RoleNone, v25},
	{"9011", "请求应答", "request answer (QnRtn)", RoleNone, RoleAnswer, vAll},
	{"9012", "执行结果", "execution result (ExeRtn)", RoleNone, RoleAnswer, vAll},
	{"9013", "通知应答", "notification answer", RoleAnswer, RoleAnswer, vAll},
	{"9014", "数据应答", "data answer", RoleAnswer, RoleAnswer, vAll},
	{"9015", "心跳", "heartbeat (2025)", RoleNone, RoleNotification, v25},
}

// commandIndex maps a 4-digit CN to 1 + its index in commands (0: none),
// an array rather than a map because every decoded frame looks its CN up.
var commandIndex = func() (t [10000]uint8) {
	for i, c := range commands {
		t[cnNumber(c.CN)] = uint8(i + 1)
	}
	return t
}()

// cnNumber returns cn's value if it is 4 digits, else -1.
func cnNumber(cn string) int {
	if len(cn) != 4 {
		return -1
	}
	n := 0
	for i := 0; i < 4; i++ {
		c := cn[i] - '0'
		if c > 9 {
			return -1
		}
		n = n*10 + int(c)
	}
	return n
}

// LookupCommand returns the command with code cn.
func LookupCommand(cn string) (Command, bool) {
	n := cnNumber(cn)
	if n < 0 || commandIndex[n] == 0 {
		return Command{}, false
	}
	return commands[commandIndex[n]-1], true
}

// Commands returns every known command in CN order (a copy).
func Commands() []Command { return append([]Command(nil), commands...) }

// Return codes of 9011 (QnRtn) and 9012 (ExeRtn), HJ 212-2017 Tables 6, 7.
const (
	QnRtnReady      = 1   // 准备执行请求
	QnRtnRefused    = 2   // 请求被拒绝
	QnRtnBadPW      = 3   // PW 错误
	QnRtnBadMN      = 4   // MN 错误
	QnRtnBadST      = 5   // ST 错误
	QnRtnBadFlag    = 6   // Flag 错误
	QnRtnBadQN      = 7   // QN 错误
	QnRtnBadCN      = 8   // CN 错误
	QnRtnBadCRC     = 9   // CRC 校验错误
	QnRtnUnknown    = 100 // 未知错误
	ExeRtnOK        = 1   // 执行成功
	ExeRtnFailed    = 2   // 执行失败，但不知道原因
	ExeRtnCondition = 3   // 命令请求条件错误
	ExeRtnTimeout   = 4   // 通讯超时
	ExeRtnBusy      = 5   // 系统繁忙不能执行
	ExeRtnFault     = 6   // 系统故障
	ExeRtnNoData    = 100 // 没有数据
)

// System is one system code (ST) of HJ 212-2017 §6.6.1 Table 5.
type System struct {
	ST     string
	NameZH string
	Name   string
}

var systems = []System{
	{"21", "地表水质量监测", "surface water quality"},
	{"22", "空气质量监测", "ambient air quality"},
	{"23", "声环境质量监测", "acoustic environment"},
	{"24", "地下水质量监测", "groundwater quality"},
	{"25", "土壤质量监测", "soil quality"},
	{"26", "海水质量监测", "seawater quality"},
	{"27", "挥发性有机物监测", "volatile organic compounds"},
	{"31", "大气环境污染源", "air pollution source"},
	{"32", "地表水体环境污染源", "surface-water pollution source"},
	{"33", "地下水体环境污染源", "groundwater pollution source"},
	{"34", "海洋环境污染源", "marine pollution source"},
	{"35", "土壤环境污染源", "soil pollution source"},
	{"36", "声环境污染源", "noise source"},
	{"37", "振动环境污染源", "vibration source"},
	{"38", "放射性环境污染源", "radioactive source"},
	{"39", "工地扬尘污染源", "construction-site dust"},
	{"41", "电磁环境污染源", "electromagnetic source"},
	{"51", "烟气排放过程监控", "flue-gas process monitoring"},
	{"52", "污水排放过程监控", "wastewater process monitoring"},
	{"91", "系统交互", "system interaction"},
}

// LookupSystem returns the system with code st. Codes A0-Z9 are extensions
// the standard leaves to local use, so an unknown but well-formed ST is not
// an error in Decode.
func LookupSystem(st string) (System, bool) {
	for _, s := range systems {
		if s.ST == st {
			return s, true
		}
	}
	return System{}, false
}

// Systems returns Table 5 (a copy).
func Systems() []System { return append([]System(nil), systems...) }

// DataFlag is one data flag (the -Flag suffix).
type DataFlag struct {
	Flag    string
	Version Version // V2017 for Table 8, V2005 for HJ/T 212-2005
	NameZH  string
	Name    string
}

var dataFlags = []DataFlag{
	{"N", V2017, "在线监控（监测）仪器仪表工作正常", "instrument normal"},
	{"F", V2017, "在线监控（监测）仪器仪表停运", "instrument or source stopped"},
	{"M", V2017, "在线监控（监测）仪器仪表处于维护期间产生的数据", "maintenance period"},
	{"S", V2017, "手工输入的设定值", "manual setting value"},
	{"D", V2017, "在线监控（监测）仪器仪表故障", "instrument fault"},
	{"C", V2017, "在线监控（监测）仪器仪表处于校准状态", "calibration"},
	{"T", V2017, "在线监控（监测）仪器仪表采样数值超过测量上限", "over the upper measuring limit"},
	{"B", V2017, "在线监控（监测）仪器仪表与数采仪通讯异常", "instrument-DAU communication error"},
	{"P", V2005, "电源故障", "power failure"},
	{"F", V2005, "排放源停运", "source stopped"},
	{"C", V2005, "校验", "calibration"},
	{"M", V2005, "维护", "maintenance"},
	{"T", V2005, "超测上限", "over upper limit"},
	{"D", V2005, "故障", "fault"},
	{"S", V2005, "设定值", "set value"},
	{"N", V2005, "正常", "normal"},
}

// LookupDataFlag returns the meaning of flag in edition v (2025 is read as
// 2017 until its text is verified).
func LookupDataFlag(flag string, v Version) (DataFlag, bool) {
	if v != V2005 {
		v = V2017
	}
	for _, f := range dataFlags {
		if f.Flag == flag && f.Version == v {
			return f, true
		}
	}
	return DataFlag{}, false
}

// DataFlags returns both editions' flag tables (a copy).
func DataFlags() []DataFlag { return append([]DataFlag(nil), dataFlags...) }
